using OrleansAof.Storage;

namespace OrleansAof.Benchmarks.Micro;

/// <summary>The flush policies benchmarked, by the names used as BenchmarkDotNet parameters.</summary>
public static class Policies
{
    public const string Sync = "Sync";
    public const string Batched = "Batched(1000)";
    public const string Periodic = "Periodic(10ms)";
    public const string BatchedOrPeriodic = "BatchedOrPeriodic(1000,10ms)";
    public const string Async = "Async";

    public static FlushPolicy Parse(string name) => name switch
    {
        Sync => FlushPolicy.Sync,
        Batched => FlushPolicy.Batched(1000),
        Periodic => FlushPolicy.Periodic(TimeSpan.FromMilliseconds(10)),
        BatchedOrPeriodic => FlushPolicy.BatchedOrPeriodic(1000, TimeSpan.FromMilliseconds(10)),
        Async => FlushPolicy.Async,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown flush policy name."),
    };
}
