using System.Diagnostics;
using System.Text;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

[Collection(FailoverClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public sealed class FailoverTests(FailoverCluster fixture)
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task Deactivation_flushes_and_closes_and_with_SealOnDeactivate_seals_the_active_segment()
    {
        // Owned by the silo the suite never kills: the test cluster deactivates grains only on the silos it started itself.
        var log = $"seal-{Guid.NewGuid():N}";
        var grain = fixture.Partition(log, fixture.PartitionOwnedBy(log, fixture.SiloNames[0]));
        await grain.SetFlushPolicyAsync(LogFlushPolicy.Async);
        await grain.AppendBatchAsync(RecordPayloads.From(Bytes("a"), Bytes("b")));
        (await grain.GetInfoAsync()).DurableId.Should().Be(-1);

        await fixture.Cluster.DeactivateAsync(grain);
        var info = await grain.GetInfoAsync();
        (info.LastId, info.DurableId).Should().Be((1L, 1L));
        info.Segments.Select(s => (s.BaseId, s.Status)).Should().Equal((0L, "Sealed"), (2L, "Active"));
        info.FlushPolicy.Should().Be(LogFlushPolicy.Sync, "a policy switch holds until deactivation");
    }

    [Fact]
    public void Idle_partitions_are_collected_after_the_configured_age()
    {
        var collection = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<IOptions<Orleans.Configuration.GrainCollectionOptions>>().Value;
        collection.ClassSpecificCollectionAge[typeof(PartitionGrain).FullName!].Should().Be(TimeSpan.FromMinutes(15));
    }

    [Fact]
    public async Task Killing_the_owner_fails_its_partitions_fast_others_keep_working_and_restart_loses_no_acknowledged_record()
    {
        var log = $"failover-{Guid.NewGuid():N}";
        var victimSilo = fixture.SiloNames[1];
        var victim = fixture.Partition(log, fixture.PartitionOwnedBy(log, victimSilo));
        var survivor = fixture.Partition(log, fixture.PartitionOwnedBy(log, fixture.SiloNames[0]));

        var acknowledged = new List<(long Id, string Payload)>();
        for (var i = 0; i < 50; i++)
        {
            var ack = await victim.AppendAsync(Bytes($"v{i}"));
            ack.IsDurable.Should().BeTrue();
            acknowledged.Add((ack.FirstId, $"v{i}"));
        }

        await survivor.AppendAsync(Bytes("s0"));
        await fixture.KillSiloAsync(victimSilo);

        // The owner is gone: calls fail with the retryable typed error, quickly, and never open an empty log elsewhere.
        var sw = Stopwatch.StartNew();
        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    await victim.AppendAsync(Bytes("while-down"));
                    throw new InvalidOperationException("An append to a partition whose owner is dead succeeded.");
                }
                catch (PartitionUnavailableException e)
                {
                    e.IsRetryable.Should().BeTrue();
                    return true;
                }
                catch (Exception e) when (e is Orleans.Runtime.OrleansException or TimeoutException)
                {
                    // The client has not yet learnt that the silo died; the next try goes through placement again.
                    return false;
                }
            },
            "calls to a partition whose owner is dead fail with PartitionUnavailableException",
            TimeSpan.FromSeconds(20));
        var failFast = Stopwatch.StartNew();
        await FluentActions.Awaiting(() => victim.ReadAsync(0)).Should().ThrowAsync<PartitionUnavailableException>();
        failFast.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2), "once the owner is known dead a call fails at placement, without waiting for a timeout");
        (await survivor.AppendAsync(Bytes("s1"))).FirstId.Should().Be(1, "partitions of live owners keep working");
        Directory.Exists(Path.Combine(fixture.Data.Path, fixture.SiloNames[0], log, (await victim.GetPrimaryKeyStringAsync()).Split('/')[1]))
            .Should().BeFalse("no empty log was opened on another silo");

        await fixture.RestartSiloAsync(victimSilo);
        LogRecordBatch? read = null;
        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    read = await victim.ReadAsync(0);
                    return true;
                }
                catch (PartitionUnavailableException)
                {
                    return false;
                }
            },
            "the restarted owner serves the partition again");
        read!.Records.Select(r => (r.Id, Encoding.UTF8.GetString(r.Payload.Span))).Should().Equal(acknowledged, "every acknowledged record survived");
        (await victim.AppendAsync(Bytes("after"))).FirstId.Should().Be(50);
        (await victim.GetInfoAsync()).Silo.Should().Be(victimSilo);
    }
}

internal static class GrainKeyExtensions
{
    public static Task<string> GetPrimaryKeyStringAsync(this IPartitionGrain grain) => Task.FromResult(((Orleans.Runtime.GrainReference)(object)grain).GetPrimaryKeyString());
}
