using System.Text;
using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.Storage;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>
/// Idempotent appends through the grain. They need the engine's durable producer dedup; until the engine has it these
/// tests report themselves skipped (the check below asks the engine, it does not guess).
/// </summary>
[Collection(ThreeSiloClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class IdempotenceTests(ThreeSiloCluster fixture)
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static void RequireEngineDedup() =>
        Skip.IfNot(IdempotenceProbe.EngineDeduplicates, "the storage engine does not deduplicate ProducerStamp appends yet");

    [SkippableFact]
    public async Task Retried_batch_returns_its_original_ids_and_is_written_once()
    {
        RequireEngineDedup();
        var grain = fixture.Partition($"idem-{Guid.NewGuid():N}");
        var stamp = new ProducerStamp(42, 0);
        var first = await grain.AppendBatchAsync(RecordPayloads.From(Bytes("a"), Bytes("b")), stamp: stamp);
        var retry = await grain.AppendBatchAsync(RecordPayloads.From(Bytes("a"), Bytes("b")), stamp: stamp);
        first.Should().Be(new AppendAck(0, 1, true, false));
        retry.Should().Be(new AppendAck(0, 1, true, true));
        (await grain.AppendAsync(Bytes("c"), stamp: new ProducerStamp(42, 1))).FirstId.Should().Be(2);
        (await grain.ReadAsync(0)).Count.Should().Be(3);
    }

    [SkippableFact]
    public async Task Retry_after_deactivation_and_reactivation_is_still_a_duplicate()
    {
        RequireEngineDedup();
        var grain = fixture.Partition($"idem-{Guid.NewGuid():N}");
        var stamp = new ProducerStamp(43, 5);
        var first = await grain.AppendAsync(Bytes("once"), stamp: stamp);
        await fixture.Cluster.DeactivateAsync(grain);
        var retry = await grain.AppendAsync(Bytes("once"), stamp: stamp);
        (retry.FirstId, retry.IsDuplicate).Should().Be((first.FirstId, true));
        (await grain.GetInfoAsync()).LastId.Should().Be(0);
    }

    [SkippableFact]
    public async Task Producer_retries_after_an_unavailable_partition_write_each_record_once()
    {
        RequireEngineDedup();
        var log = fixture.Logs.GetLog($"idem-{Guid.NewGuid():N}");
        await using var producer = log.CreateProducer(new Client.LogProducerOptions { Linger = TimeSpan.FromMilliseconds(1) });
        var sends = Enumerable.Range(0, 200).Select(i => producer.SendToPartitionAsync("0", Bytes($"p{i}"))).ToList();
        await fixture.Cluster.DeactivateAsync(log.Partition("0"));
        var results = await Task.WhenAll(sends);
        results.Select(r => r.Id).Should().Equal(Enumerable.Range(0, 200).Select(i => (long)i));
        (await log.Partition("0").GetInfoAsync()).LastId.Should().Be(199);
    }
}

/// <summary>Asks the engine whether a retried <see cref="Storage.ProducerStamp"/> comes back as a duplicate.</summary>
internal static class IdempotenceProbe
{
    private static readonly Lazy<bool> Result = new(Probe);

    public static bool EngineDeduplicates => Result.Value;

    private static bool Probe()
    {
        using var temp = new TempDirectory("dedup-probe");
        var log = PartitionLog.OpenAsync("probe", "0", new PartitionLogOptions { DataRoot = temp.Path, Preallocation = PreallocationMode.None }).GetAwaiter().GetResult();
        try
        {
            var stamp = new Storage.ProducerStamp(7, 0);
            log.AppendAsync(new byte[] { 1 }, null, stamp).AsTask().GetAwaiter().GetResult();
            return log.AppendAsync(new byte[] { 1 }, null, stamp).AsTask().GetAwaiter().GetResult().IsDuplicate;
        }
        finally
        {
            log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
