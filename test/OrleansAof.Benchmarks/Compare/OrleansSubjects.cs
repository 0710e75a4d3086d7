using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Concurrency;
using OrleansAof.Client;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Benchmarks.Compare;

/// <summary>
/// One silo in this process (its own host, silo and gateway endpoints on free loopback ports, development clustering,
/// partitions under a temporary folder, default flush policy <c>Sync</c>) and one Orleans client in its own host that
/// reaches it through the gateway over TCP, with the append log client API.
/// </summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    private readonly IHost _silo;
    private readonly IHost _client;

    private BenchCluster(IHost silo, IHost client)
    {
        _silo = silo;
        _client = client;
        Grains = client.Services.GetRequiredService<IClusterClient>();
        Logs = client.Services.GetRequiredService<IAppendLogClient>();
    }

    /// <summary>The client's grain factory (calls go over TCP to the gateway).</summary>
    public IClusterClient Grains { get; }

    /// <summary>The client API.</summary>
    public IAppendLogClient Logs { get; }

    public static async Task<BenchCluster> StartAsync(string dataRoot)
    {
        var siloPort = FreePort.Find();
        var gatewayPort = FreePort.Find();
        var silo = new HostBuilder()
            .UseOrleans(s =>
            {
                s.UseLocalhostClustering(siloPort, gatewayPort);
                s.AddAppendLog(o =>
                {
                    o.DataRoot = dataRoot;
                    o.FlushPolicy = "Sync";
                });
            })
            .Build();
        await silo.StartAsync();
        var client = new HostBuilder()
            .UseOrleansClient(c =>
            {
                c.UseLocalhostClustering(gatewayPort);
                c.AddAppendLogClient();
            })
            .Build();
        try
        {
            await client.StartAsync();
        }
        catch
        {
            client.Dispose();
            await silo.StopAsync();
            silo.Dispose();
            throw;
        }

        return new BenchCluster(silo, client);
    }

    public async ValueTask DisposeAsync()
    {
        await _client.StopAsync();
        _client.Dispose();
        await _silo.StopAsync();
        _silo.Dispose();
    }
}

/// <summary>
/// A benchmark-only grain that takes the same calls as a partition's appends and does nothing with them: the
/// baseline for what the client, the serializer, the TCP transport and the grain call cost by themselves.
/// </summary>
[Alias("aof.bench.INoopBatchGrain")]
public interface INoopBatchGrain : IGrainWithStringKey
{
    [AlwaysInterleave]
    [Alias("AppendBatch")]
    Task<AppendAck> AppendBatchAsync(RecordPayloads payloads, long? expectedLastId = null, ProducerStamp? stamp = null);

    [AlwaysInterleave]
    [Alias("Append")]
    Task<AppendAck> AppendAsync(byte[] payload, long? expectedLastId = null, ProducerStamp? stamp = null);

    /// <summary>Like <see cref="AppendAsync"/>, completing after a yield, as a call that waits for a flush completes.</summary>
    [AlwaysInterleave]
    [Alias("AppendAfterYield")]
    Task<AppendAck> AppendAfterYieldAsync(byte[] payload, long? expectedLastId = null, ProducerStamp? stamp = null);
}

/// <summary>Accepts every batch and record and acknowledges it without storing anything.</summary>
internal sealed class NoopBatchGrain : Grain, INoopBatchGrain
{
    private long _next;

    public Task<AppendAck> AppendAsync(byte[] payload, long? expectedLastId = null, ProducerStamp? stamp = null)
    {
        var id = _next++;
        return Task.FromResult(new AppendAck(id, id, IsDurable: false, IsDuplicate: false));
    }

    public async Task<AppendAck> AppendAfterYieldAsync(byte[] payload, long? expectedLastId = null, ProducerStamp? stamp = null)
    {
        await Task.Yield();
        return await AppendAsync(payload, expectedLastId, stamp);
    }

    public Task<AppendAck> AppendBatchAsync(RecordPayloads payloads, long? expectedLastId = null, ProducerStamp? stamp = null)
    {
        var first = _next;
        _next += payloads.Count;
        return Task.FromResult(new AppendAck(first, _next - 1, IsDurable: false, IsDuplicate: false));
    }
}

/// <summary>
/// <c>appenders</c> concurrent tasks, each calling <see cref="AppendLogHandle.AppendToPartitionAsync"/> (one record per
/// call) in a loop for the length of a slice, through the external client, to one partition under <c>Sync</c>: every
/// acknowledged record is durable.
/// </summary>
internal sealed class GrainAppendSubject(string name, int appenders, byte[] payload, TimeSpan slice, Func<byte[], Task<AppendAck>> append, bool durable) : ISubject
{
    public GrainAppendSubject(AppendLogHandle log, int appenders, byte[] payload, TimeSpan slice)
        : this($"ours client -> partition grain, Sync x{appenders}", appenders, payload, slice, p => log.AppendToPartitionAsync("0", p), durable: true)
    {
    }

    public string Name => name;

    /// <summary>The same calls to <see cref="INoopBatchGrain.AppendAsync"/> (no client API, no engine): what the Orleans call path costs alone.</summary>
    public static GrainAppendSubject ToNoopGrain(IGrainFactory grains, int appenders, byte[] payload, TimeSpan slice)
    {
        var grain = grains.GetGrain<INoopBatchGrain>("noop/append");
        return new GrainAppendSubject($"no-op grain, x{appenders}", appenders, payload, slice, p => grain.AppendAsync(p), durable: false);
    }

    public async Task<Sample> RunSliceAsync()
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = Sample.DeadlineAfter(slice);
        var tasks = new Task<long>[appenders];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Run(async () =>
            {
                long n = 0;
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    var ack = await append(payload);
                    if (durable && !ack.IsDurable)
                    {
                        throw new InvalidOperationException("An append under Sync was acknowledged before it was durable.");
                    }

                    n++;
                }

                return n;
            });
        }

        var counts = await Task.WhenAll(tasks);
        var elapsed = Stopwatch.GetElapsedTime(start);
        var records = counts.Sum();
        return new Sample(records, records * payload.Length, elapsed);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// The client's batching producer (<see cref="LogProducer"/>, default options: 2 ms linger, 1 MiB or 10,000 records per
/// batch, one batch in flight per partition) sending to one partition: one task sends records in groups of
/// <see cref="Group"/>, keeping up to <see cref="Window"/> records outstanding, for the length of a slice; the slice
/// ends when every record sent is acknowledged.
/// </summary>
internal sealed class ProducerSubject(LogProducer producer, string partitionPolicy, byte[] payload, TimeSpan slice) : ISubject
{
    public const int Group = 1024;
    public const int Window = 8 * Group;

    public string Name => $"ours LogProducer -> partition ({partitionPolicy})";

    public async Task<Sample> RunSliceAsync()
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = Sample.DeadlineAfter(slice);
        var sent = await Task.Run(async () =>
        {
            var outstanding = new Queue<Task>();
            long n = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                if (outstanding.Count == Window / Group)
                {
                    await outstanding.Dequeue();
                }

                var group = new Task[Group];
                for (var i = 0; i < group.Length; i++)
                {
                    group[i] = producer.SendToPartitionAsync("0", payload);
                }

                outstanding.Enqueue(Task.WhenAll(group));
                n += Group;
            }

            while (outstanding.Count > 0)
            {
                await outstanding.Dequeue();
            }

            return n;
        });
        return new Sample(sent, sent * payload.Length, Stopwatch.GetElapsedTime(start));
    }

    public ValueTask DisposeAsync() => producer.DisposeAsync();
}

/// <summary>
/// The baseline of <see cref="ProducerSubject"/>: full batches of the producer's size (1 MiB of 1 KiB records, the size
/// its batches reach under load) sent one at a time over the same client for the length of a slice, to
/// <see cref="INoopBatchGrain"/> (the transport and the grain call without the producer and without the engine) or,
/// for context, straight to the partition grain (without the producer).
/// </summary>
internal sealed class BatchCallSubject : ISubject
{
    private readonly RecordPayloads _batch;
    private readonly Func<RecordPayloads, ProducerStamp, Task<AppendAck>> _call;
    private readonly int _payloadSize;
    private readonly TimeSpan _slice;
    private readonly long _producerId = Random.Shared.NextInt64(1, long.MaxValue);
    private long _sequence;

    private BatchCallSubject(string name, byte[] payload, int batchBytes, TimeSpan slice, Func<RecordPayloads, ProducerStamp, Task<AppendAck>> call)
    {
        _batch = RecordPayloads.From(Enumerable.Repeat<ReadOnlyMemory<byte>>(payload, Math.Max(1, batchBytes / payload.Length)).ToArray());
        Name = $"{name}, batches of {_batch.Count}";
        _payloadSize = payload.Length;
        _slice = slice;
        _call = call;
    }

    public string Name { get; }

    public static BatchCallSubject ToNoopGrain(IGrainFactory grains, byte[] payload, int batchBytes, TimeSpan slice)
    {
        var grain = grains.GetGrain<INoopBatchGrain>("noop/0");
        return new BatchCallSubject("no-op grain", payload, batchBytes, slice, (batch, stamp) => grain.AppendBatchAsync(batch, null, stamp));
    }

    public static BatchCallSubject ToPartition(AppendLogHandle log, string policy, byte[] payload, int batchBytes, TimeSpan slice) =>
        new($"client -> partition grain ({policy}) without the producer", payload, batchBytes, slice, (batch, stamp) => log.AppendBatchAsync("0", batch, null, stamp));

    public async Task<Sample> RunSliceAsync()
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = Sample.DeadlineAfter(_slice);
        var records = await Task.Run(async () =>
        {
            long n = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                await _call(_batch, new ProducerStamp(_producerId, _sequence++));
                n += _batch.Count;
            }

            return n;
        });
        return new Sample(records, records * _payloadSize, Stopwatch.GetElapsedTime(start));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
