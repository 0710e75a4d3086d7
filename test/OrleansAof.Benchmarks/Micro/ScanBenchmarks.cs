using BenchmarkDotNet.Attributes;
using OrleansAof.Benchmarks.Shared;
using OrleansAof.Storage;

namespace OrleansAof.Benchmarks.Micro;

/// <summary>
/// Reading a partition of 32,768 records (warm page cache) from id 0 to the end: <see cref="PartitionLog.Scan"/>
/// (zero-copy, checksums verified) and <see cref="PartitionLog.ReadAsync"/> in batches of 1,000 (payloads copied into
/// the returned batch). One operation is one record.
/// </summary>
[Config(typeof(BenchConfig))]
public class ScanBenchmarks : PartitionBenchmark
{
    private const int Records = 32 * 1024;


    [Params(64, 1024, 16 * 1024)]
    public int RecordSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var payload = Payloads.Of(RecordSize);
        OpenPartition(FlushPolicy.Async);
        for (var i = 0; i < Records; i++)
        {
            Log.Append(payload);
        }

        Log.FlushAsync().AsTask().GetAwaiter().GetResult();
    }


    [Benchmark(OperationsPerInvoke = Records)]
    public long Scan()
    {
        long sum = 0;
        foreach (var record in Log.Scan(0, Records - 1))
        {
            sum += record.Payload.Length;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public async Task<long> ReadBatches()
    {
        long sum = 0;
        var id = 0L;
        while (id < Records)
        {
            var batch = await Log.ReadAsync(id, maxRecords: 1000);
            sum += batch.Buffer.Length;
            id = batch.NextId;
        }

        return sum;
    }
}
