using BenchmarkDotNet.Attributes;
using OrleansAof.Benchmarks.Shared;

namespace OrleansAof.Benchmarks.Micro;

/// <summary>
/// Appends under each flush policy with 1 and 64 concurrent appenders (one <see cref="Task.Run(Func{Task})"/> each).
/// One operation is one acknowledged append: under Sync once durable (group commit), otherwise once written to the
/// operating system. The partition stays open for the whole case, so rollover and seal are part of the cost.
/// </summary>
[Config(typeof(BenchConfig))]
public class AppendBenchmarks : PartitionBenchmark
{
    private const int AppendsPerInvoke = 1024;

    private byte[] _payload = [];

    [Params(Policies.Sync, Policies.Batched, Policies.Periodic, Policies.BatchedOrPeriodic, Policies.Async)]
    public string Policy { get; set; } = Policies.Sync;

    [Params(1, 64)]
    public int Appenders { get; set; }

    [Params(64, 1024, 16 * 1024)]
    public int RecordSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = Payloads.Of(RecordSize);
        OpenPartition(Policies.Parse(Policy));
    }


    [Benchmark(OperationsPerInvoke = AppendsPerInvoke)]
    public async Task Append()
    {
        var tasks = new Task[Appenders];
        var each = AppendsPerInvoke / Appenders;
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Run(() => AppendManyAsync(each));
        }

        await Task.WhenAll(tasks);
    }

    private async Task AppendManyAsync(int count)
    {
        var log = Log;
        ReadOnlyMemory<byte> payload = _payload;
        for (var i = 0; i < count; i++)
        {
            await log.AppendAsync(payload);
        }
    }
}
