namespace OrleansAof.Storage;

/// <summary>Flush statistics of one partition since it was opened.</summary>
/// <param name="TotalFlushes">Flushes attempted.</param>
/// <param name="SuccessfulFlushes">Flushes that completed.</param>
/// <param name="FailedFlushes">Flushes that failed (each one faults the partition).</param>
/// <param name="SyncFlushes">Group commits for <c>Sync</c> appends.</param>
/// <param name="BatchedFlushes">Flushes started by a record count.</param>
/// <param name="PeriodicFlushes">Flushes started by the interval.</param>
/// <param name="ForcedFlushes">Explicit flushes, seals, policy switches, backpressure and close.</param>
/// <param name="RecordsFlushed">Records made durable.</param>
/// <param name="BytesFlushed">Bytes made durable (framing included).</param>
/// <param name="PendingRecords">Records written but not yet durable.</param>
/// <param name="PendingBytes">Bytes written but not yet durable.</param>
/// <param name="LatencyP50">Median flush duration.</param>
/// <param name="LatencyP95">95th percentile flush duration.</param>
/// <param name="LatencyP99">99th percentile flush duration.</param>
/// <param name="LatencyP999">99.9th percentile flush duration.</param>
/// <param name="MaxRecordsPerFlush">Most records made durable by one flush.</param>
public sealed record FlushMetricsSnapshot(
    long TotalFlushes,
    long SuccessfulFlushes,
    long FailedFlushes,
    long SyncFlushes,
    long BatchedFlushes,
    long PeriodicFlushes,
    long ForcedFlushes,
    long RecordsFlushed,
    long BytesFlushed,
    long PendingRecords,
    long PendingBytes,
    TimeSpan LatencyP50,
    TimeSpan LatencyP95,
    TimeSpan LatencyP99,
    TimeSpan LatencyP999,
    long MaxRecordsPerFlush)
{
    /// <summary>Successful flushes over all flushes; 1 when there was none.</summary>
    public double SuccessRate => TotalFlushes == 0 ? 1.0 : (double)SuccessfulFlushes / TotalFlushes;

    /// <summary>Mean records per successful flush; 0 when there was none.</summary>
    public double RecordsPerFlush => SuccessfulFlushes == 0 ? 0 : (double)RecordsFlushed / SuccessfulFlushes;
}
