namespace OrleansAof.Streams;

/// <summary>One produced batch of events as a log record holds it (written with the Orleans serializer).</summary>
[GenerateSerializer]
[Alias("aof.AppendLogStreamMessage")]
internal sealed class AppendLogStreamMessage
{
    [Id(0)]
    public StreamId StreamId { get; set; }

    [Id(1)]
    public List<object> Events { get; set; } = [];

    [Id(2)]
    public Dictionary<string, object>? RequestContext { get; set; }
}
