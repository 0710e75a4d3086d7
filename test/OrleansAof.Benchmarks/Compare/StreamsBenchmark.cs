using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Streams;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Benchmarks.Compare;

/// <summary>
/// Events/s and producer-to-subscriber latency through <c>AddAppendLogStreams</c> (partitions under <c>Sync</c>) and through
/// Orleans memory streams on the same silo, in alternating rounds: one producer grain sends 1 KiB events to one stream,
/// keeping <see cref="Window"/> <c>OnNextAsync</c> calls outstanding (the same window for both providers: a durable stream
/// acknowledges an event only once it is on disk, so it is only fairly compared under concurrency); one implicit subscriber
/// grain receives them. A round ends when the subscriber has every event; the rate is events over that time. Latency runs
/// from just before <c>OnNextAsync</c> to the subscriber's handler (one process, one clock).
/// </summary>
internal static class StreamsBenchmark
{
    public const string AofProvider = "bench-aof";
    public const string MemoryProvider = "bench-mem";
    public const string Namespace = "bench-events";

    /// <summary>Outstanding <c>OnNextAsync</c> calls of the producer, for both providers.</summary>
    public const int Window = 64;

    public static async Task<List<AbsoluteRow>> RunAsync(string dataRoot, int events, int rounds, Action<string> progress)
    {
        var siloPort = FreePort.Find();
        var gatewayPort = FreePort.Find();
        using var silo = new HostBuilder()
            .UseOrleans(s =>
            {
                s.UseLocalhostClustering(siloPort, gatewayPort);
                s.AddMemoryGrainStorage("PubSubStore");
                s.AddAppendLog(o =>
                {
                    o.DataRoot = dataRoot;
                    o.FlushPolicy = "Sync";
                });
                s.AddAppendLogStreams(AofProvider, o =>
                {
                    o.Log = "bench-streams";
                    o.Partitions = 4;
                });
                s.AddMemoryStreams(MemoryProvider, m =>
                {
                    m.ConfigurePartitioning(4);
                    m.ConfigurePullingAgent(a => a.Configure(o => o.GetQueueMsgsTimerPeriod = TimeSpan.FromMilliseconds(10)));
                });
            })
            .Build();
        await silo.StartAsync();
        try
        {
            var grains = silo.Services.GetRequiredService<IGrainFactory>();
            var results = await MeasureAsync(grains, Window, events, rounds, progress);

            // For reference: the closed loop (one OnNextAsync at a time), where every event waits for its own fsync.
            var closedEvents = Math.Max(events / 5, 200);
            var closed = await MeasureAsync(grains, 1, closedEvents, rounds, progress);

            var rows = new List<AbsoluteRow>();
            var ratios = results[AofProvider].Zip(results[MemoryProvider], (a, m) => a.Rate / m.Rate).Order().ToArray();
            var aofRate = Median(results[AofProvider].Select(r => r.Rate));
            var memRate = Median(results[MemoryProvider].Select(r => r.Rate));
            var ratio = ratios[ratios.Length / 2];
            rows.Add(new AbsoluteRow(
                "S1",
                "events/s, AddAppendLogStreams (Sync) vs memory streams",
                F($"{ratio:0.00}x"),
                F($"{aofRate:N0} vs {memRate:N0} events/s (medians of {rounds} rounds of {events:N0} 1 KiB events, {Window} OnNextAsync calls outstanding on both; per-round ratios {string.Join(", ", ratios.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))})"),
                "≥ 0.5x",
                ratio >= 0.5));
            foreach (var provider in new[] { AofProvider, MemoryProvider })
            {
                var all = results[provider].SelectMany(r => r.Latencies).Order().ToArray();
                rows.Add(new AbsoluteRow(
                    provider == AofProvider ? "S2" : "",
                    provider == AofProvider ? "latency producer -> subscriber, AddAppendLogStreams (Sync)" : "latency producer -> subscriber, memory streams",
                    F($"p50 {Percentile(all, 0.5):0.00} ms, p99 {Percentile(all, 0.99):0.00} ms"),
                    F($"{all.Length:N0} events, {Window} OnNextAsync calls outstanding"),
                    "reported",
                    null));
            }

            var closedRatios = closed[AofProvider].Zip(closed[MemoryProvider], (a, m) => a.Rate / m.Rate).Order().ToArray();
            var closedAof = closed[AofProvider].SelectMany(r => r.Latencies).Order().ToArray();
            var closedMem = closed[MemoryProvider].SelectMany(r => r.Latencies).Order().ToArray();
            rows.Add(new AbsoluteRow(
                "",
                "same, closed loop (one OnNextAsync at a time)",
                F($"{closedRatios[closedRatios.Length / 2]:0.00}x"),
                F($"{Median(closed[AofProvider].Select(r => r.Rate)):N0} vs {Median(closed[MemoryProvider].Select(r => r.Rate)):N0} events/s ({rounds} rounds of {closedEvents:N0}); latency p50/p99 {Percentile(closedAof, 0.5):0.00}/{Percentile(closedAof, 0.99):0.00} ms vs {Percentile(closedMem, 0.5):0.00}/{Percentile(closedMem, 0.99):0.00} ms"),
                "reported",
                null));
            return rows;
        }
        finally
        {
            await silo.StopAsync();
        }
    }

    private static async Task<Dictionary<string, List<(double Rate, double[] Latencies)>>> MeasureAsync(IGrainFactory grains, int window, int events, int rounds, Action<string> progress)
    {
        var results = new Dictionary<string, List<(double Rate, double[] Latencies)>> { [AofProvider] = [], [MemoryProvider] = [] };

        // One unrecorded warm-up round each, then alternate.
        for (var round = -1; round < rounds; round++)
        {
            foreach (var provider in round % 2 == 0 ? new[] { AofProvider, MemoryProvider } : new[] { MemoryProvider, AofProvider })
            {
                var count = round < 0 ? Math.Min(events, 500) : events;
                var key = $"{provider}-{window}-{round + 1}-{Guid.NewGuid():N}";
                var sink = StreamSinks.For(key, count);
                var clock = Stopwatch.StartNew();
                await grains.GetGrain<IStreamProducerGrain>(key).ProduceAsync(provider, count, window);
                await sink.Done.Task.WaitAsync(TimeSpan.FromMinutes(2));
                var seconds = clock.Elapsed.TotalSeconds;
                if (round >= 0)
                {
                    results[provider].Add((count / seconds, sink.Latencies()));
                    progress(FormattableString.Invariant($"streams round {round + 1}, window {window}: {provider} {count / seconds:N0} events/s"));
                }

                StreamSinks.Remove(key);
            }
        }

        return results;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}

/// <summary>A 1 KiB event with the producer's timestamp.</summary>
[GenerateSerializer]
[Immutable]
[Alias("aof.bench.StreamEvent")]
public sealed record StreamEvent([property: Id(0)] int Number, [property: Id(1)] long SentAt, [property: Id(2)] byte[] Body);

[Alias("aof.bench.IStreamProducerGrain")]
public interface IStreamProducerGrain : IGrainWithStringKey
{
    [Alias("Produce")]
    Task ProduceAsync(string provider, int count, int window);
}

internal sealed class StreamProducerGrain : Grain, IStreamProducerGrain
{
    public async Task ProduceAsync(string provider, int count, int window)
    {
        var stream = this.GetStreamProvider(provider).GetStream<StreamEvent>(StreamId.Create(StreamsBenchmark.Namespace, this.GetPrimaryKeyString()));
        var body = Shared.Payloads.Of(1024 - 32);
        var outstanding = new Queue<Task>(window);
        for (var i = 0; i < count; i++)
        {
            if (outstanding.Count == window)
            {
                await outstanding.Dequeue();
            }

            outstanding.Enqueue(stream.OnNextAsync(new StreamEvent(i, Stopwatch.GetTimestamp(), body)));
        }

        await Task.WhenAll(outstanding);
    }
}

[Alias("aof.bench.IStreamSubscriberGrain")]
public interface IStreamSubscriberGrain : IGrainWithStringKey;

/// <summary>Implicit subscriber of the benchmark namespace on both providers (the stream key names the provider).</summary>
[ImplicitStreamSubscription(StreamsBenchmark.Namespace)]
internal sealed class StreamSubscriberGrain : Grain, IStreamSubscriberGrain
{
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var provider = key.StartsWith(StreamsBenchmark.AofProvider, StringComparison.Ordinal) ? StreamsBenchmark.AofProvider : StreamsBenchmark.MemoryProvider;
        var sink = StreamSinks.Get(key);
        await this.GetStreamProvider(provider).GetStream<StreamEvent>(StreamId.Create(StreamsBenchmark.Namespace, key)).SubscribeAsync((e, _) =>
        {
            sink?.Receive(e);
            return Task.CompletedTask;
        });
        await base.OnActivateAsync(cancellationToken);
    }
}

/// <summary>Where subscribers report arrivals (the silo runs in the benchmark process).</summary>
internal sealed class StreamSinks
{
    private static readonly ConcurrentDictionary<string, StreamSinks> Sinks = new(StringComparer.Ordinal);
    private readonly double[] _latencies;
    private readonly bool[] _seen;
    private int _received;

    private StreamSinks(int count)
    {
        _latencies = new double[count];
        _seen = new bool[count];
    }

    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static StreamSinks For(string key, int count) => Sinks[key] = new StreamSinks(count);

    public static StreamSinks? Get(string key) => Sinks.GetValueOrDefault(key);

    public static void Remove(string key) => Sinks.TryRemove(key, out _);

    public double[] Latencies() => _latencies;

    public void Receive(StreamEvent e)
    {
        // At least once: a repeated event is counted once. Concurrent OnNextAsync calls of memory streams may arrive out of order.
        if (_seen[e.Number])
        {
            return;
        }

        _seen[e.Number] = true;

        _latencies[e.Number] = Stopwatch.GetElapsedTime(e.SentAt).TotalMilliseconds;
        if (++_received == _latencies.Length)
        {
            Done.TrySetResult();
        }
    }
}
