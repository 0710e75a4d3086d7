using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansAof.IntegrationTests;

[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public sealed class SiloHostCrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _data = new("silo-host");

    /// <summary>The payload of record <paramref name="seq"/> of writer <paramref name="writer"/>: 1 byte to 4 KiB, content derived from both.</summary>
    private static byte[] Payload(int writer, int seq)
    {
        var seed = SHA256.HashData(Encoding.UTF8.GetBytes($"{writer}:{seq}"));
        var bytes = new byte[1 + (BitConverter.ToUInt16(seed) % 4096)];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = seed[i % seed.Length];
        }

        return bytes;
    }

    [Fact]
    public async Task Sigkill_under_Sync_loses_no_acknowledged_record_and_the_bytes_are_identical()
    {
        var settings = new Dictionary<string, string> { ["Aof__FlushPolicy"] = "Sync", ["Aof__SiloName"] = "it-0" };
        var acknowledged = new ConcurrentDictionary<(string Partition, long Id), byte[]>();
        await using (var silo = new SiloHostProcess(_data.Path, settings))
        {
            await silo.StartAsync();
            using var client = await silo.ConnectClientAsync();
            var log = client.Logs().GetLog("orders");
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                var partition = log.PartitionName(w % log.PartitionCount);
                for (var seq = 0; !stop.IsCancellationRequested; seq++)
                {
                    var payload = Payload(w, seq);
                    try
                    {
                        var ack = await log.AppendToPartitionAsync(partition, payload);
                        ack.IsDurable.Should().BeTrue();
                        acknowledged[(partition, ack.FirstId)] = payload;
                    }
                    catch (Exception) when (stop.IsCancellationRequested)
                    {
                        return;
                    }
                }
            })).ToArray();

            await Wait.UntilAsync(() => acknowledged.Count >= 1500, "1,500 appends are acknowledged");
            await silo.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(writers.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
            output.WriteLine($"{acknowledged.Count} appends acknowledged before SIGKILL of pid {silo.ProcessId}");
        }

        await using (var silo = new SiloHostProcess(_data.Path, settings))
        {
            await silo.StartAsync();
            using var client = await silo.ConnectClientAsync();
            var log = client.Logs().GetLog("orders");
            foreach (var partition in new[] { "0", "1" })
            {
                var records = new Dictionary<long, byte[]>();
                for (var next = 0L; ;)
                {
                    var batch = await log.ReadAsync(partition, next, 5000, 16 * 1024 * 1024);
                    if (batch.Count == 0)
                    {
                        break;
                    }

                    foreach (var r in batch.Records)
                    {
                        records[r.Id] = r.Payload.ToArray();
                    }

                    next = batch.NextId;
                }

                records.Keys.Order().Should().Equal(Enumerable.Range(0, records.Count).Select(i => (long)i), "ids stay dense after recovery");
                var mine = acknowledged.Where(a => a.Key.Partition == partition).ToList();
                mine.Should().NotBeEmpty();
                foreach (var (key, bytes) in mine)
                {
                    records.Should().ContainKey(key.Id, "record {0} of partition {1} was acknowledged under Sync", key.Id, partition);
                    records[key.Id].Should().Equal(bytes);
                }

                var after = await log.AppendToPartitionAsync(partition, [42]);
                after.FirstId.Should().Be(records.Count, "appends continue after the recovered tail");
            }
        }
    }

    [Fact]
    public async Task Sigterm_flushes_open_partitions_and_exits_cleanly()
    {
        var settings = new Dictionary<string, string> { ["Aof__FlushPolicy"] = "Async", ["Aof__SiloName"] = "it-0" };
        await using (var silo = new SiloHostProcess(_data.Path, settings))
        {
            await silo.StartAsync();
            using (var client = await silo.ConnectClientAsync())
            {
                var log = client.Logs().GetLog("orders");
                for (var i = 0; i < 20; i++)
                {
                    (await log.AppendToPartitionAsync("0", Payload(0, i))).IsDurable.Should().BeFalse("Async acknowledges before the fsync");
                }

                (await log.GetInfoAsync("0")).DurableId.Should().Be(-1, "nothing was flushed yet");
                await client.StopAsync();
            }

            (await silo.TerminateAsync()).Should().Be(0);
            silo.Output.Should().Contain("Flushed 1 open partition(s) before shutdown");
        }

        await using (var silo = new SiloHostProcess(_data.Path, settings))
        {
            await silo.StartAsync();
            using var client = await silo.ConnectClientAsync();
            var read = await client.Logs().GetLog("orders").ReadAsync("0", 0, 100);
            read.Records.Select(r => r.Payload.ToArray()).Should().BeEquivalentTo(Enumerable.Range(0, 20).Select(i => Payload(0, i)), o => o.WithStrictOrdering());
        }
    }

    public void Dispose() => _data.Dispose();
}
