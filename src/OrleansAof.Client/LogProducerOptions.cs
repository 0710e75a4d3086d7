namespace OrleansAof.Client;

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
