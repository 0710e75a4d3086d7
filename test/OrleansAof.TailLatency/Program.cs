using System.Diagnostics;
using System.Globalization;
using Orleans.TestingHost;
using OrleansAof;
using OrleansAof.TailLatency;

// Usage: dotnet run -c Release --project test/OrleansAof.TailLatency -- [subscribers=1] [records=2000] [appenders=4] [direct|direct-only|stream] [checkpointMs=100] [rate=0 (closed loop) | appends/s]
// Prints percentiles of (subscriber grain handed the record) - (appender got its acknowledgement), under Sync.
var subscribers = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
var records = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
var appenders = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 4;
var mode = args.Length > 3 ? args[3] : "direct";
var direct = mode != "stream";
var streams = mode != "direct-only";
var checkpointMs = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 100;
var rate = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 0;
using var data = new TempDir();

var builder = new InProcessTestClusterBuilder(1);
builder.ConfigureSilo((_, silo) =>
{
    silo.AddAppendLog(o =>
    {
        o.DataRoot = data.Path;
        o.FlushPolicy = "Sync";
        o.DirectTailPush = direct;
        o.TailStreamProvider = streams ? o.TailStreamProvider : null;
    });
    silo.ConfigureLogSubscribers(o =>
    {
        o.StreamProvider = streams ? o.StreamProvider : null;
        o.CheckpointInterval = TimeSpan.FromMilliseconds(checkpointMs);
    });
    silo.AddMemoryGrainStorage("latency");
});
await using var cluster = builder.Build();
await cluster.DeployAsync();
var client = cluster.Client;

var log = "latency-" + Guid.NewGuid().ToString("N")[..8];
var partition = client.GetGrain<IPartitionGrain>(PartitionKey.Format(log, "0"));
await partition.AppendAsync(new byte[1024]);
Probe.Reset(subscribers, records + 1);
for (var s = 0; s < subscribers; s++)
{
    await client.GetGrain<ILatencySubscriber>(s.ToString(CultureInfo.InvariantCulture)).SubscribeAsync(log, "0");
}

await Probe.WaitAsync(0, TimeSpan.FromSeconds(30));
var acks = new long[records + 1];
var next = 0;
var payload = new byte[1024];
var sw = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, appenders).Select(_ => Task.Run(async () =>
{
    using var pace = rate > 0 ? new PeriodicTimer(TimeSpan.FromSeconds((double)appenders / rate)) : null;
    while (Interlocked.Increment(ref next) <= records)
    {
        if (pace is not null)
        {
            await pace.WaitForNextTickAsync();
        }

        var ack = await partition.AppendAsync(payload);
        acks[ack.FirstId] = Stopwatch.GetTimestamp();
    }
})));
var elapsed = sw.Elapsed;
await Probe.WaitAsync(records, TimeSpan.FromSeconds(60));

var latencies = new List<double>(records * subscribers);
var early = 0;
for (var id = 1; id <= records; id++)
{
    for (var s = 0; s < subscribers; s++)
    {
        var delta = Stopwatch.GetElapsedTime(acks[id], Probe.Arrival(s, id)).TotalMilliseconds;
        if (delta < 0)
        {
            early++;
        }

        latencies.Add(Math.Max(0, delta));
    }
}

latencies.Sort();
double At(double p) => latencies[Math.Min(latencies.Count - 1, (int)(p / 100 * latencies.Count))];
var stats = await partition.GetFlushStatisticsAsync();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"path={mode} subscribers={subscribers} records={records} appenders={appenders} checkpoint-interval={checkpointMs}ms append-rate={records / elapsed.TotalSeconds:0}/s fsync-p50={stats.LatencyP50.TotalMilliseconds:0.00}ms"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"ack->subscriber ms: p50={At(50):0.000} p90={At(90):0.000} p99={At(99):0.000} max={latencies[^1]:0.000} (samples={latencies.Count}, before-ack={early})"));
