using System.Text;
using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>Idempotent appends through the grain: a retried stamp is acknowledged with its original ids and written once.</summary>
[Collection(ThreeSiloClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class IdempotenceTests(ThreeSiloCluster fixture)
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task Retried_batch_returns_its_original_ids_and_is_written_once()
    {
        var grain = fixture.Partition($"idem-{Guid.NewGuid():N}");
        var stamp = new ProducerStamp(42, 0);
        var first = await grain.AppendBatchAsync(RecordPayloads.From(Bytes("a"), Bytes("b")), stamp: stamp);
        var retry = await grain.AppendBatchAsync(RecordPayloads.From(Bytes("a"), Bytes("b")), stamp: stamp);
        first.Should().Be(new AppendAck(0, 1, true, false));
        retry.Should().Be(new AppendAck(0, 1, true, true));
        (await grain.AppendAsync(Bytes("c"), stamp: new ProducerStamp(42, 1))).FirstId.Should().Be(2);
        (await grain.ReadAsync(0)).Count.Should().Be(3);
    }

    [Fact]
    public async Task Retry_after_deactivation_and_reactivation_is_still_a_duplicate()
    {
        var grain = fixture.Partition($"idem-{Guid.NewGuid():N}");
        var stamp = new ProducerStamp(43, 5);
        var first = await grain.AppendAsync(Bytes("once"), stamp: stamp);
        await fixture.Cluster.DeactivateAsync(grain);
        var retry = await grain.AppendAsync(Bytes("once"), stamp: stamp);
        (retry.FirstId, retry.IsDuplicate).Should().Be((first.FirstId, true));
        (await grain.GetInfoAsync()).LastId.Should().Be(0);
    }

    [Fact]
    public async Task Producer_retries_after_an_unavailable_partition_write_each_record_once()
    {
        var log = fixture.Logs.GetLog($"idem-{Guid.NewGuid():N}");
        await using var producer = log.CreateProducer(new Client.LogProducerOptions { Linger = TimeSpan.FromMilliseconds(1) });
        var sends = Enumerable.Range(0, 200).Select(i => producer.SendToPartitionAsync("0", Bytes($"p{i}"))).ToList();
        await fixture.Cluster.DeactivateAsync(log.Partition("0"));
        var results = await Task.WhenAll(sends);
        results.Select(r => r.Id).Should().Equal(Enumerable.Range(0, 200).Select(i => (long)i));
        (await log.Partition("0").GetInfoAsync()).LastId.Should().Be(199);
    }
}
