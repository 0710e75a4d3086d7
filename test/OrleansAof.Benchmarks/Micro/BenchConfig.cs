using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using Perfolizer.Horology;

namespace OrleansAof.Benchmarks.Micro;

/// <summary>
/// A short job (3 warm-up and 10 measured iterations of about 250 ms): the disk-bound cases are dominated by a noisy
/// shared disk, where more iterations buy little. MemoryDiagnoser reports allocated bytes per operation.
/// </summary>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        AddJob(Job.Default
            .WithWarmupCount(3)
            .WithIterationCount(10)
            .WithIterationTime(TimeInterval.FromMilliseconds(250))
            .WithId("Short"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median, StatisticColumn.P95);
        HideColumns(Column.Error, Column.StdDev);
    }
}
