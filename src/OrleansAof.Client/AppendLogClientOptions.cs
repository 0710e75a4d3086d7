namespace OrleansAof.Client;

/// <summary>Client-side settings of the append log. Bind with <c>clientBuilder.AddAppendLogClient(o => ...)</c>.</summary>
public sealed class AppendLogClientOptions
{
    /// <summary>Partitions of a log that <see cref="PartitionCounts"/> does not name. Default 1.</summary>
    public int DefaultPartitionCount { get; set; } = 1;

    /// <summary>Partition count by log name. Partitions are named <c>0</c> to <c>N-1</c>.</summary>
    public IDictionary<string, int> PartitionCounts { get; set; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>How long one tail long poll waits on the partition before asking again. Default 5 s (the silo caps it at <c>AppendLogOptions.MaxTailWait</c>).</summary>
    public TimeSpan TailPollWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Records per read of a tail. Default 1,000.</summary>
    public int TailBatchRecords { get; set; } = 1000;

    /// <summary>How long a tail waits before asking again when its partition is unavailable. Default 200 ms.</summary>
    public TimeSpan TailRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long a client's start keeps retrying its first connection to the cluster before it fails with
    /// <see cref="ClusterConnectionException"/> (registered by <c>clientBuilder.AddAppendLogClient</c> unless the client has
    /// its own <c>IClientConnectionRetryFilter</c>). Default 10 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether reads of a partition whose owner is down fall back to the archive for archived records (served by any silo). Default true.</summary>
    public bool ReadArchiveWhenUnavailable { get; set; } = true;
}
