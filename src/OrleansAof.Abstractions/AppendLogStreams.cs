namespace OrleansAof;

/// <summary>Well-known names of the tail notification stream.</summary>
public static class AppendLogStreams
{
    /// <summary>The stream namespace of tail notifications; the stream key is the partition key <c>{log}/{partition}</c>.</summary>
    public const string TailNamespace = "aof-tail";

    /// <summary>The default name of the stream provider that carries tail notifications.</summary>
    public const string DefaultProviderName = "AofTail";
}
