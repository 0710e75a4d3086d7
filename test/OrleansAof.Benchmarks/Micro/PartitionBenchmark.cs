using BenchmarkDotNet.Attributes;
using OrleansAof.Benchmarks.Compare;
using OrleansAof.Benchmarks.Shared;
using OrleansAof.Storage;

namespace OrleansAof.Benchmarks.Micro;

/// <summary>Base of the engine benchmarks: one partition in a temporary folder per case, removed at cleanup.</summary>
public abstract class PartitionBenchmark : IDisposable
{
    private TempRoot? _temp;

    protected PartitionLog Log { get; private set; } = null!;

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_temp is null)
        {
            return;
        }

        Log.CloseAsync(seal: false).AsTask().GetAwaiter().GetResult();
        _temp.Dispose();
        _temp = null;
    }

    public void Dispose()
    {
        Cleanup();
        GC.SuppressFinalize(this);
    }

    protected void OpenPartition(FlushPolicy policy)
    {
        _temp = new TempRoot("aof-bdn");
        Disk.EnsureFreeSpace(_temp.Path);
        Log = Engine.OpenAsync(_temp.NewFolder("partition"), policy).GetAwaiter().GetResult();
    }
}
