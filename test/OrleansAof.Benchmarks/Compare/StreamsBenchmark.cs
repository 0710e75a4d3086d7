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
/// Orleans memory streams on the same silo, in alternating rounds: one producer grain sends 1 KiB events one
/// <c>OnNextAsync</c> at a time (closed loop) to one stream; one implicit subscriber grain receives them. A round ends when
/// the subscriber has every event; the rate is events over that time. Latency runs from just before <c>OnNextAsync</c>
/// to the subscriber's handler (one process, one clock).
/// </summary>
internal static class StreamsBenchmark
{
    public const string AofProvider = "bench-aof";
    public const string MemoryProvider = "bench-mem";
    public const string Namespace = "bench-events";

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
            var results = new Dictionary<string, List<(double Rate, double[] Latencies)>> { [AofProvider] = [], [MemoryProvider] = [] };

            // One unrecorded warm-up round each, then alternate.
            for (var round = -1; round < rounds; round++)
            {
                foreach (var provider in round % 2 == 0 ? new[] { AofProvider, MemoryProvider } : new[] { MemoryProvider, AofProvider })
                {
                    var count = round < 0 ? Math.Min(events, 500) : events;
                    var key = $"{provider}-{round + 1}-{Guid.NewGuid():N}";
                    var sink = StreamSinks.For(key, count);
                    var clock = Stopwatch.StartNew();
                    await grains.GetGrain<IStreamProducerGrain>(key).ProduceAsync(provider, count);
                    await sink.Done.Task.WaitAsync(TimeSpan.FromMinutes(2));
                    var seconds = clock.Elapsed.TotalSeconds;
                    if (round >= 0)
                    {
                        results[provider].Add((count / seconds, sink.Latencies()));
                        progress(FormattableString.Invariant($"streams round {round + 1}: {provider} {count / seconds:N0} events/s"));
                    }

                    StreamSinks.Remove(key);
                }
            }

            var rows = new List<AbsoluteRow>();
            var ratios = results[AofProvider].Zip(results[MemoryProvider], (a, m) => a.Rate / m.Rate).Order().ToArray();
            var aofRate = Median(results[AofProvider].Select(r => r.Rate));
            var memRate = Median(results[MemoryProvider].Select(r => r.Rate));
            var ratio = ratios[ratios.Length / 2];
            rows.Add(new AbsoluteRow(
                "S1",
                "events/s, AddAppendLogStreams (Sync) vs memory streams",
                F($"{ratio:0.00}x"),
                F($"{aofRate:N0} vs {memRate:N0} events/s (medians of {rounds} rounds of {events:N0} 1 KiB events; per-round ratios {string.Join(", ", ratios.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))})"),
                "≥ 0.5x",
                ratio >= 0.5));
            foreach (var provider in new[] { AofProvider, MemoryProvider })
            {
                var all = results[provider].SelectMany(r => r.Latencies).Order().ToArray();
                rows.Add(new AbsoluteRow(
                    provider == AofProvider ? "S2" : "",
                    provider == AofProvider ? "latency producer -> subscriber, AddAppendLogStreams (Sync)" : "latency producer -> subscriber, memory streams",
                    F($"p50 {Percentile(all, 0.5):0.00} ms, p99 {Percentile(all, 0.99):0.00} ms"),
                    F($"{all.Length:N0} events, closed loop (one OnNextAsync at a time)"),
                    "reported",
                    null));
            }

            return rows;
        }
        finally
        {
            await silo.StopAsync();
        }
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
    Task ProduceAsync(string provider, int count);
}

internal sealed class StreamProducerGrain : Grain, IStreamProducerGrain
{
    public async Task ProduceAsync(string provider, int count)
    {
        var stream = this.GetStreamProvider(provider).GetStream<StreamEvent>(StreamId.Create(StreamsBenchmark.Namespace, this.GetPrimaryKeyString()));
        var body = Shared.Payloads.Of(1024 - 32);
        for (var i = 0; i < count; i++)
        {
            await stream.OnNextAsync(new StreamEvent(i, Stopwatch.GetTimestamp(), body));
        }
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
    private int _received;

    private StreamSinks(int count) => _latencies = new double[count];

    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static StreamSinks For(string key, int count) => Sinks[key] = new StreamSinks(count);

    public static StreamSinks? Get(string key) => Sinks.GetValueOrDefault(key);

    public static void Remove(string key) => Sinks.TryRemove(key, out _);

    public double[] Latencies() => _latencies;

    public void Receive(StreamEvent e)
    {
        // At least once: a repeated event is counted once.
        if (e.Number != _received)
        {
            return;
        }

        _latencies[e.Number] = Stopwatch.GetElapsedTime(e.SentAt).TotalMilliseconds;
        if (++_received == _latencies.Length)
        {
            Done.TrySetResult();
        }
    }
}
