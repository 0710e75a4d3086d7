namespace OrleansAof.Benchmarks.Compare;

/// <summary>One timed run: how many records and payload bytes went through in how long.</summary>
internal readonly record struct Sample(long Records, long Bytes, TimeSpan Elapsed)
{
    public double RecordsPerSecond => Records / Elapsed.TotalSeconds;

    public double MiBPerSecond => Bytes / (1024.0 * 1024.0) / Elapsed.TotalSeconds;

    public static long DeadlineAfter(TimeSpan duration) => System.Diagnostics.Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
}
