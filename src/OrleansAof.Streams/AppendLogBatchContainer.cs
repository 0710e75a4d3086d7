using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace OrleansAof.Streams;

/// <summary>
/// The events of one record of a stream's partition. Its <see cref="SequenceToken"/> is an
/// <see cref="EventSequenceTokenV2"/> whose <c>SequenceNumber</c> is the record id and whose <c>EventIndex</c> is the
/// event's position in the record.
/// </summary>
[GenerateSerializer]
[Alias("aof.AppendLogBatchContainer")]
public sealed class AppendLogBatchContainer : IBatchContainer
{
    /// <summary>Creates a container.</summary>
    public AppendLogBatchContainer(StreamId streamId, List<object> events, Dictionary<string, object>? requestContext, EventSequenceTokenV2 token)
    {
        StreamId = streamId;
        Events = events;
        RequestContext = requestContext;
        Token = token;
    }

    /// <inheritdoc />
    [Id(0)]
    public StreamId StreamId { get; }

    /// <summary>The events, in the order they were produced.</summary>
    [Id(1)]
    public List<object> Events { get; }

    /// <summary>The request context of the producer, if any.</summary>
    [Id(2)]
    public Dictionary<string, object>? RequestContext { get; }

    /// <summary>The token of the record (event index 0).</summary>
    [Id(3)]
    public EventSequenceTokenV2 Token { get; }

    /// <summary>The record id.</summary>
    public long RecordId => Token.SequenceNumber;

    /// <inheritdoc />
    public StreamSequenceToken SequenceToken => Token;

    /// <inheritdoc />
    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>()
    {
        for (var i = 0; i < Events.Count; i++)
        {
            if (Events[i] is T e)
            {
                yield return Tuple.Create<T, StreamSequenceToken>(e, Token.CreateSequenceTokenForEvent(i));
            }
        }
    }

    /// <inheritdoc />
    public bool ImportRequestContext()
    {
        if (RequestContext is null)
        {
            return false;
        }

        RequestContextExtensions.Import(RequestContext);
        return true;
    }
}
