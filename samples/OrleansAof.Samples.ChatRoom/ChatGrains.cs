using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace OrleansAof.Samples.ChatRoom;

/// <summary>A message posted to a room (the stream <c>rooms/{room}</c>).</summary>
[GenerateSerializer]
[Immutable]
[Alias("samples.ChatPosted")]
public sealed record ChatPosted([property: Id(0)] string Author, [property: Id(1)] string Text);

/// <summary>A line of a room's history: the message and where it is in the log (record id).</summary>
[GenerateSerializer]
[Immutable]
[Alias("samples.ChatLine")]
public sealed record ChatLine([property: Id(0)] long RecordId, [property: Id(1)] string Author, [property: Id(2)] string Text);

/// <summary>The history of one room, kept by an implicit subscriber.</summary>
[Alias("samples.IRoomHistory")]
public interface IRoomHistory : IGrainWithStringKey
{
    /// <summary>Every message seen so far, in order.</summary>
    [Alias("GetLines")]
    Task<List<ChatLine>> GetLinesAsync();
}

/// <summary>One activation per room, started by the room's first message (implicit subscription on namespace "rooms").</summary>
[ImplicitStreamSubscription(ChatStreams.Namespace)]
public sealed class RoomHistory : Grain, IRoomHistory
{
    private readonly List<ChatLine> _lines = [];

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var stream = this.GetStreamProvider(ChatStreams.Provider).GetStream<ChatPosted>(StreamId.Create(ChatStreams.Namespace, this.GetPrimaryKeyString()));
        await stream.SubscribeAsync(OnPostedAsync);
        await base.OnActivateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task<List<ChatLine>> GetLinesAsync() => Task.FromResult(_lines.ToList());

    private Task OnPostedAsync(ChatPosted message, StreamSequenceToken? token)
    {
        // At least once: a repeated delivery carries the same token, so it is dropped here.
        if (_lines.Count == 0 || token!.SequenceNumber > _lines[^1].RecordId)
        {
            _lines.Add(new ChatLine(token!.SequenceNumber, message.Author, message.Text));
        }

        return Task.CompletedTask;
    }
}

/// <summary>A member who joins late and reads the room from a given message on (a rewind from a token).</summary>
[Alias("samples.ILateReader")]
public interface ILateReader : IGrainWithStringKey
{
    /// <summary>Subscribes to <paramref name="room"/> from record <paramref name="fromRecordId"/>.</summary>
    [Alias("Join")]
    Task JoinAsync(string room, long fromRecordId);

    /// <summary>The messages read so far.</summary>
    [Alias("GetLines")]
    Task<List<ChatLine>> GetLinesAsync();
}

/// <summary>An explicit subscriber that starts at a token.</summary>
public sealed class LateReader : Grain, ILateReader
{
    private readonly List<ChatLine> _lines = [];

    /// <inheritdoc />
    public async Task JoinAsync(string room, long fromRecordId)
    {
        var stream = this.GetStreamProvider(ChatStreams.Provider).GetStream<ChatPosted>(StreamId.Create(ChatStreams.Namespace, room));
        await stream.SubscribeAsync(
            (message, token) =>
            {
                _lines.Add(new ChatLine(token!.SequenceNumber, message.Author, message.Text));
                return Task.CompletedTask;
            },
            new EventSequenceTokenV2(fromRecordId));
    }

    /// <inheritdoc />
    public Task<List<ChatLine>> GetLinesAsync() => Task.FromResult(_lines.ToList());
}

/// <summary>Names the sample uses.</summary>
public static class ChatStreams
{
    /// <summary>The stream provider.</summary>
    public const string Provider = "chat";

    /// <summary>The stream namespace of rooms.</summary>
    public const string Namespace = "rooms";
}
