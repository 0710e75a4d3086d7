using BenchmarkDotNet.Attributes;
using OrleansAof.Benchmarks.Shared;

namespace OrleansAof.Benchmarks.Micro;

/// <summary>
/// Allocations per append on the calling thread's path, for the policies whose appends complete synchronously: one
/// appender, no tasks, no awaits. The partition stays open, so the per-segment work (offset index chunks, seal) is
/// amortized into the figure; <c>compare --only alloc</c> separates the steady state from it.
/// </summary>
[Config(typeof(BenchConfig))]
public class AllocationBenchmarks : PartitionBenchmark
{
    private const int AppendsPerInvoke = 4096;

    private ReadOnlyMemory<byte> _payload;

    [Params(Policies.Batched, Policies.Periodic, Policies.BatchedOrPeriodic, Policies.Async)]
    public string Policy { get; set; } = Policies.Async;

    [Params(64, 1024)]
    public int RecordSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = Payloads.Of(RecordSize);
        OpenPartition(Policies.Parse(Policy));
    }


    [Benchmark(OperationsPerInvoke = AppendsPerInvoke)]
    public long AppendCompletedSynchronously()
    {
        var log = Log;
        long last = 0;
        for (var i = 0; i < AppendsPerInvoke; i++)
        {
            var pending = log.AppendAsync(_payload);
            last = pending.IsCompletedSuccessfully ? pending.Result.LastId : pending.AsTask().GetAwaiter().GetResult().LastId;
        }

        return last;
    }
}
