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

/// <summary>Settings of one <see cref="LogProducer"/>.</summary>
public sealed class LogProducerOptions
{
    /// <summary>How long a batch waits for more records after its first one. Default 2 ms; zero sends as soon as the previous batch of the partition completed.</summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>A batch is sent once its payloads reach this size. Default 1 MiB.</summary>
    public int MaxBatchBytes { get; set; } = 1024 * 1024;

    /// <summary>A batch is sent once it holds this many records. Default 10,000.</summary>
    public int MaxBatchRecords { get; set; } = 10_000;

    /// <summary>Records waiting per partition before <see cref="LogProducer.SendAsync(string, ReadOnlyMemory{byte}, CancellationToken)"/> waits for room. Default 100,000.</summary>
    public int MaxQueuedRecords { get; set; } = 100_000;

    /// <summary>
    /// The producer id of the idempotence stamps (positive); default a random value. A producer restarted with the id of
    /// an earlier instance continues where that one stopped: sequence numbers follow the clock (each partition's next
    /// batch takes the larger of the previous number + 1 and the current Unix time in microseconds), so they stay above
    /// every number an earlier instance used as long as the wall clock does not step back across the restart. Two
    /// instances that run at the same time must not share an id.
    /// </summary>
    public long? ProducerId { get; set; }

    /// <summary>
    /// The largest record <see cref="LogProducer.SendAsync(string, ReadOnlyMemory{byte}, CancellationToken)"/> accepts:
    /// a larger one fails at once with <see cref="RecordTooLargeException"/>, before it joins a batch. Default 1 MiB, the
    /// silo's default <c>AppendLogOptions.MaxRecordBytes</c>; set it to the silos' value. Should the silos still refuse a
    /// record of a batch as too large, the producer sends that batch's records one by one, so only the oversized one fails.
    /// </summary>
    public int MaxRecordBytes { get; set; } = 1024 * 1024;

    /// <summary>For how long a batch is retried (with the same stamp) after retryable errors before its records fail. Default 30 s.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first delay between retries; it doubles up to 1 s. Default 20 ms.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(20);
}
