namespace OrleansAof.Cli.Commands;

/// <summary>Flush statistics of a partition since it was opened.</summary>
/// <param name="TotalFlushes">Flushes attempted.</param>
/// <param name="FailedFlushes">Flushes that failed.</param>
/// <param name="RecordsFlushed">Records made durable.</param>
/// <param name="BytesFlushed">Bytes made durable.</param>
/// <param name="PendingRecords">Records written but not durable yet.</param>
/// <param name="RecordsPerFlush">Mean records per successful flush.</param>
/// <param name="MaxRecordsPerFlush">Most records one flush made durable.</param>
/// <param name="LatencyP50Ms">Median flush duration, milliseconds.</param>
/// <param name="LatencyP99Ms">99th percentile flush duration, milliseconds.</param>
internal sealed record FlushDocument(
    long TotalFlushes,
    long FailedFlushes,
    long RecordsFlushed,
    long BytesFlushed,
    long PendingRecords,
    double RecordsPerFlush,
    long MaxRecordsPerFlush,
    double LatencyP50Ms,
    double LatencyP99Ms)
{
    public static FlushDocument From(FlushStatistics s) => new(
        s.TotalFlushes, s.FailedFlushes, s.RecordsFlushed, s.BytesFlushed, s.PendingRecords, Math.Round(s.RecordsPerFlush, 2), s.MaxRecordsPerFlush,
        Math.Round(s.LatencyP50.TotalMilliseconds, 3), Math.Round(s.LatencyP99.TotalMilliseconds, 3));
}
