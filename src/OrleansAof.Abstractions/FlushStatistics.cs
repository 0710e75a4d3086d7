namespace OrleansAof;

/// <summary>Flush statistics of a partition since it was opened (see the engine's FlushMetricsSnapshot).</summary>
/// <param name="TotalFlushes">Flushes attempted.</param>
/// <param name="FailedFlushes">Flushes that failed.</param>
/// <param name="RecordsFlushed">Records made durable.</param>
/// <param name="BytesFlushed">Bytes made durable.</param>
/// <param name="PendingRecords">Records written but not yet durable.</param>
/// <param name="LatencyP50">Median flush duration.</param>
/// <param name="LatencyP99">99th percentile flush duration.</param>
/// <param name="MaxRecordsPerFlush">Most records made durable by one flush.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.FlushStatistics")]
public sealed record FlushStatistics(
    [property: Id(0)] long TotalFlushes,
    [property: Id(1)] long FailedFlushes,
    [property: Id(2)] long RecordsFlushed,
    [property: Id(3)] long BytesFlushed,
    [property: Id(4)] long PendingRecords,
    [property: Id(5)] TimeSpan LatencyP50,
    [property: Id(6)] TimeSpan LatencyP99,
    [property: Id(7)] long MaxRecordsPerFlush)
{
    /// <summary>Mean records per successful flush.</summary>
    public double RecordsPerFlush => TotalFlushes - FailedFlushes <= 0 ? 0 : (double)RecordsFlushed / (TotalFlushes - FailedFlushes);
}
