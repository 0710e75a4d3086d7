namespace OrleansAof.Streams;

/// <summary>Stored checkpoint of a pulling agent.</summary>
[GenerateSerializer]
[Alias("aof.StreamCheckpoint")]
public sealed class StreamCheckpoint
{
    /// <summary>The id to resume reading from.</summary>
    [Id(0)]
    public long NextId { get; set; }
}
