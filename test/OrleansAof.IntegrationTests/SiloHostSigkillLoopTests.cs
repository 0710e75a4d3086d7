using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using FluentAssertions;
using OrleansAof.Client;
using OrleansAof.TestInfrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansAof.IntegrationTests;

/// <summary>
/// The silo host (a real process) under <c>Sync</c>, with segments so small and <c>KeepLocalSegments = 1</c> that seal,
/// archive upload and eviction of local files never stop, SIGKILLed at a random moment of concurrent appends, round
/// after round in one data folder. After every restart each acknowledged record is read back: the exact bytes at the
/// exact id, ids dense from 0, no id handed out twice, and a tail from id 0 (the client's <c>TailAsync</c>) reaches the
/// partition's end. The rounds accumulate, so every round also rechecks what all earlier kills left behind.
/// </summary>
/// <remarks>
/// Replay a failure with <c>AOF_SILO_SIGKILL_SEED</c> (the seed is printed first). 20 rounds in the default suite, 200
/// with <c>AOF_STRESS=1</c>, or <c>AOF_SILO_SIGKILL_ROUNDS</c>.
/// </remarks>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public sealed class SiloHostSigkillLoopTests(ITestOutputHelper output) : IDisposable
{
    private const int Writers = 8;
    private static readonly string[] Partitions = ["0", "1"];

    private readonly TempDirectory _data = new("silo-sigkill-loop");

    /// <summary>The payload of append <paramref name="seq"/> of writer <paramref name="writer"/> in round <paramref name="round"/>: 200 B to 2.2 KB.</summary>
    private static byte[] Payload(int seed, int round, int writer, int seq)
    {
        var random = new Random(HashCode.Combine(seed, round, writer, seq));
        var bytes = new byte[200 + random.Next(2000)];
        random.NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task Sigkill_loop_with_continuous_seal_archive_and_eviction_keeps_every_acknowledged_record_readable()
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("AOF_SILO_SIGKILL_ROUNDS"), CultureInfo.InvariantCulture, out var r) ? r : Stress.Scale(20, 200);
        var seed = int.TryParse(Environment.GetEnvironmentVariable("AOF_SILO_SIGKILL_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        output.WriteLine($"seed {seed} (set AOF_SILO_SIGKILL_SEED to replay), {rounds} rounds");
        var random = new Random(seed);
        var dataRoot = Directory.CreateDirectory(Path.Combine(_data.Path, "data")).FullName;
        var settings = new Dictionary<string, string>
        {
            ["Aof__SiloName"] = "it-0",
            ["Aof__FlushPolicy"] = "Sync",
            ["Aof__MaxSegmentBytes"] = (128 * 1024).ToString(CultureInfo.InvariantCulture),
            ["Aof__MaxRecordBytes"] = (16 * 1024).ToString(CultureInfo.InvariantCulture),
            ["Aof__Archive"] = "FileSystem",
            ["Aof__ArchivePath"] = Path.Combine(_data.Path, "archive"),
            ["Aof__KeepLocalSegments"] = "1",
        };

        // (partition, id) -> the bytes acknowledged for it, over all rounds.
        var acknowledged = new ConcurrentDictionary<(string Partition, long Id), byte[]>();
        var total = Stopwatch.StartNew();
        for (var round = 0; round < rounds; round++)
        {
            var target = random.Next(10) == 0 ? 1 : random.Next(1, 1200);
            var started = total.Elapsed;
            await using var silo = new SiloHostProcess(dataRoot, settings);
            await silo.StartAsync();
            var ready = total.Elapsed;
            TimeSpan verified, killed, stopped;
            using (var client = await silo.ConnectClientAsync())
            {
                var log = client.Logs().GetLog("orders");
                await VerifyAsync(log, acknowledged, seed, round);
                verified = total.Elapsed;

                // Appends until the kill; every acknowledgement is recorded, and an id acknowledged twice is a failure.
                var acks = 0;
                var reused = new ConcurrentQueue<string>();
                using var stop = new CancellationTokenSource();
                var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
                {
                    var partition = Partitions[w % Partitions.Length];
                    for (var seq = 0; !stop.IsCancellationRequested; seq++)
                    {
                        var payload = Payload(seed, round, w, seq);
                        AppendAck ack;
                        try
                        {
                            ack = await log.AppendToPartitionAsync(partition, payload);
                        }
                        catch (Exception) when (stop.IsCancellationRequested)
                        {
                            return;
                        }

                        if (!ack.IsDurable || !acknowledged.TryAdd((partition, ack.FirstId), payload))
                        {
                            reused.Enqueue($"partition {partition} acknowledged id {ack.FirstId} (durable: {ack.IsDurable}) that it had acknowledged before");
                        }

                        Interlocked.Increment(ref acks);
                    }
                })).ToArray();

                await Wait.UntilAsync(() => Volatile.Read(ref acks) >= target || writers.Any(t => t.IsFaulted), $"{target} appends are acknowledged in round {round}", TimeSpan.FromSeconds(60));
                await silo.KillAsync();
                killed = total.Elapsed;
                await stop.CancelAsync();

                // Stopping the client fails the calls still waiting for the dead silo at once (instead of at their timeout).
                await client.StopAsync(stop.Token);
                await Task.WhenAll(writers.Select(w => w.ContinueWith(static _ => { }, TaskScheduler.Default)));
                stopped = total.Elapsed;
                writers.Where(t => t.IsFaulted).Select(t => t.Exception!.GetBaseException().ToString()).Should().BeEmpty("appends fail only because of the kill (seed {0}, round {1})", seed, round);
                reused.Should().BeEmpty("ids are never reused (seed {0}, round {1})", seed, round);
                output.WriteLine($"round {round}: {acks} appends acknowledged before SIGKILL (target {target}); start {(ready - started).TotalSeconds:0.0} s, verify {(verified - ready).TotalSeconds:0.0} s, appends {(killed - verified).TotalSeconds:0.0} s, client stop {(stopped - killed).TotalSeconds:0.0} s");
            }

            output.WriteLine($"round {round} took {(total.Elapsed - started).TotalSeconds:0.0} s");
        }

        // The last kill is checked too.
        await using (var silo = new SiloHostProcess(dataRoot, settings))
        {
            await silo.StartAsync();
            using var client = await silo.ConnectClientAsync();
            await VerifyAsync(client.Logs().GetLog("orders"), acknowledged, seed, rounds);
        }

        output.WriteLine($"{rounds} rounds, {acknowledged.Count} acknowledged records, {total.Elapsed.TotalSeconds:0} s");
    }

    /// <summary>
    /// Tails each partition from id 0 to its durable end: ids dense, each acknowledged record present with its bytes,
    /// none missing.
    /// </summary>
    private static async Task VerifyAsync(AppendLogHandle log, ConcurrentDictionary<(string Partition, long Id), byte[]> acknowledged, int seed, int round)
    {
        foreach (var partition in Partitions)
        {
            var status = await log.GetInfoAsync(partition);
            var mine = acknowledged.Keys.Where(k => k.Partition == partition).Select(k => k.Id).DefaultIfEmpty(-1).Max();
            status.DurableId.Should().BeGreaterThanOrEqualTo(mine, "every acknowledged record of partition {0} is durable after the restart (seed {1}, round {2})", partition, seed, round);
            var next = 0L;
            if (status.DurableId >= 0)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
                try
                {
                    await foreach (var record in log.TailAsync(partition, 0, timeout.Token))
                    {
                        record.Id.Should().Be(next, "ids are dense (partition {0}, seed {1}, round {2})", partition, seed, round);
                        if (acknowledged.TryGetValue((partition, record.Id), out var bytes) && !record.Payload.Span.SequenceEqual(bytes))
                        {
                            throw new Xunit.Sdk.XunitException($"partition {partition} record {record.Id} differs from the acknowledged bytes (seed {seed}, round {round})");
                        }

                        next++;
                        if (record.Id == status.DurableId)
                        {
                            break;
                        }
                    }
                }
                catch (AppendLogException e)
                {
                    throw new Xunit.Sdk.XunitException($"the tail of partition {partition} from 0 stopped at id {next} of {status.DurableId} (seed {seed}, round {round}): {e.GetType().Name}: {e.Message}", e);
                }
            }

            next.Should().Be(status.DurableId + 1, "the tail from 0 reaches the end of partition {0} (seed {1}, round {2}; {3} segments)", partition, seed, round, status.Segments.Count);
        }
    }

    public void Dispose() => _data.Dispose();
}
