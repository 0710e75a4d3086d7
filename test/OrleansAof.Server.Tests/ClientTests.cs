using System.Text;
using FluentAssertions;
using OrleansAof.Client;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

[Collection(ThreeSiloClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class ClientTests(ThreeSiloCluster fixture)
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static string Text(LogRecord r) => Encoding.UTF8.GetString(r.Payload.Span);

    /// <summary>
    /// An invalid partition name (null too) is refused with the typed error when the call is made, before anything is sent;
    /// a valid one is then served from the handle's kept grain reference.
    /// </summary>
    [Fact]
    public async Task Invalid_partition_names_throw_the_typed_error_at_the_call()
    {
        var log = fixture.Logs.GetLog($"names-{Guid.NewGuid():N}");
        foreach (var name in new string?[] { null, "", "bad/name", ".." })
        {
            FluentActions.Invoking(() => { _ = log.AppendToPartitionAsync(name!, [1]); }).Should().Throw<InvalidPartitionNameException>(name ?? "null");
            FluentActions.Invoking(() => { _ = log.AppendBatchAsync(name!, RecordPayloads.From(new byte[] { 1 })); }).Should().Throw<InvalidPartitionNameException>(name ?? "null");
        }

        (await log.AppendToPartitionAsync("0", [1])).FirstId.Should().Be(0);
        (await log.AppendToPartitionAsync("0", [2])).FirstId.Should().Be(1);
    }

    [Fact]
    public async Task Keys_route_to_a_stable_partition_and_keep_their_order()
    {
        var log = fixture.Logs.GetLog("keyed");
        log.PartitionCount.Should().Be(4);
        log.PartitionFor("customer-17").Should().Be(log.PartitionFor("customer-17"));
        AppendLogHandle.StableHash("customer-17").Should().Be(0xF3756860u, "the hash is FNV-1a and must never change between versions");
        Enumerable.Range(0, 100).Select(i => log.PartitionFor($"k{i}")).Distinct().Should().HaveCount(4);
        fixture.Logs.GetLog($"other-{Guid.NewGuid():N}").PartitionCount.Should().Be(1);
        FluentActions.Invoking(() => fixture.Logs.GetLog("bad/name")).Should().Throw<InvalidPartitionNameException>();

        var key = $"order-{Guid.NewGuid():N}";
        var partition = log.PartitionFor(key);
        var first = await log.AppendAsync(key, Bytes("1"));
        var second = await log.AppendAsync(key, Bytes("2"));
        second.FirstId.Should().Be(first.FirstId + 1);
        var read = await log.ReadAsync(partition, first.FirstId, 2);
        read.Records.Select(Text).Should().Equal("1", "2");
    }

    [Fact]
    public async Task Tail_returns_existing_records_then_new_ones_and_resumes_from_an_id()
    {
        var log = fixture.Logs.GetLog($"tail-{Guid.NewGuid():N}");
        for (var i = 0; i < 5; i++)
        {
            await log.AppendToPartitionAsync("0", Bytes($"r{i}"));
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<(long, string)>();
        var tail = Task.Run(async () =>
        {
            await foreach (var r in log.TailAsync("0", fromId: 2, cts.Token))
            {
                seen.Add((r.Id, Text(r)));
                if (r.Id == 9)
                {
                    return;
                }
            }
        });
        for (var i = 5; i < 10; i++)
        {
            await log.AppendToPartitionAsync("0", Bytes($"r{i}"));
        }

        await Wait.ForAsync(tail, "the tail to reach id 9");
        seen.Should().Equal(Enumerable.Range(2, 8).Select(i => ((long)i, $"r{i}")));
    }

    [Fact]
    public async Task Tail_stops_promptly_when_cancelled_while_waiting()
    {
        var log = fixture.Logs.GetLog($"tail-{Guid.NewGuid():N}");
        using var cts = new CancellationTokenSource();
        var tail = Task.Run(async () =>
        {
            var n = 0;
            await foreach (var r in log.TailAsync("0", 0, cts.Token))
            {
                n++;
            }

            return n;
        });
        await log.AppendToPartitionAsync("0", Bytes("only"));
        await Wait.UntilAsync(async () => (await log.GetInfoAsync("0")).DurableId == 0, "the record is durable");
        await cts.CancelAsync();
        (await Wait.ForAsync(tail, "the cancelled tail to end", TimeSpan.FromSeconds(3))).Should().BeLessThanOrEqualTo(1);
    }

    [Fact]
    public async Task Producer_keeps_working_when_the_partition_deactivates_while_it_activates()
    {
        var log = fixture.Logs.GetLog($"race-{Guid.NewGuid():N}");
        await using var producer = log.CreateProducer(new LogProducerOptions { Linger = TimeSpan.FromMilliseconds(1) });
        var sends = Enumerable.Range(0, 200).Select(i => producer.SendToPartitionAsync("0", Bytes($"p{i}"))).ToList();
        await fixture.Cluster.DeactivateAsync(log.Partition("0"));
        var results = await Task.WhenAll(sends);
        results.Select(r => r.Id).Should().Equal(Enumerable.Range(0, 200).Select(i => (long)i), "the next activation waits until the previous one released the partition's files");
    }

    [Fact]
    public async Task Producer_flush_waits_for_lingering_batches()
    {
        var log = fixture.Logs.GetLog($"flush-{Guid.NewGuid():N}");
        await using var producer = log.CreateProducer(new LogProducerOptions { Linger = TimeSpan.FromMilliseconds(200) });
        var sends = Enumerable.Range(0, 50).Select(i => producer.SendToPartitionAsync("0", Bytes($"f{i}"))).ToList();
        await producer.FlushAsync();
        sends.Should().OnlyContain(t => t.IsCompletedSuccessfully, "FlushAsync returns once every queued record is acknowledged");
        sends.Select(t => t.Result.Id).Should().Equal(Enumerable.Range(0, 50).Select(i => (long)i));
        (await log.GetInfoAsync("0")).LastId.Should().Be(49);
    }

    [Fact]
    public async Task Batching_producer_groups_records_keeps_per_partition_order_and_reports_ids()
    {
        var log = fixture.Logs.GetLog("keyed");
        await using var producer = log.CreateProducer(new LogProducerOptions { Linger = TimeSpan.FromMilliseconds(5), MaxBatchBytes = 64 * 1024 });
        var prefix = Guid.NewGuid().ToString("N");
        var keys = Enumerable.Range(0, 8).Select(k => $"{prefix}-{k}").ToArray();
        var sends = new List<(string Key, int Seq, Task<ProducedRecord> Result)>();
        for (var i = 0; i < 800; i++)
        {
            var key = keys[i % keys.Length];
            sends.Add((key, i / keys.Length, producer.SendAsync(key, Bytes($"{key}:{i / keys.Length}"))));
        }

        var produced = await Task.WhenAll(sends.Select(s => s.Result));
        var byIndex = sends.Select((s, i) => (s.Key, s.Seq, Result: produced[i])).ToList();
        foreach (var group in byIndex.GroupBy(s => s.Key))
        {
            var results = group.Select(s => s.Result).ToList();
            results.Select(r => r.Partition).Distinct().Should().Equal(log.PartitionFor(group.Key));
            results.Select(r => r.Id).Should().BeInAscendingOrder("a key's records keep the order they were sent in");
            results.Should().OnlyContain(r => r.IsDurable);
        }

        foreach (var s in byIndex.Take(40))
        {
            var r = s.Result;
            var read = await log.ReadAsync(r.Partition, r.Id, 1);
            Text(read[0]).Should().Be($"{s.Key}:{s.Seq}");
        }

        var flushes = await log.Partition(produced[0].Partition).GetFlushStatisticsAsync();
        flushes.RecordsPerFlush.Should().BeGreaterThan(1.5, "the producer batches records");
    }
}
