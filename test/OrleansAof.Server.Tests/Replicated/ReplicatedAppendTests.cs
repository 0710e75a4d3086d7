using System.Diagnostics;
using FluentAssertions;
using OrleansAof.Server.Ownership;
using OrleansAof.Server.Replicated;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;
using Xunit.Abstractions;
using static OrleansAof.Server.Tests.Replicated.ReplicatedClusterFacts;

namespace OrleansAof.Server.Tests.Replicated;

/// <summary>
/// A partition with three replicas on three silos: appends are acknowledged once a majority holds them durably, a
/// stopped follower changes nothing, two stopped followers make appends fail fast with the typed error (and acknowledge
/// nothing), and once one returns ids continue densely; every replica's disk holds the same ids and bytes.
/// </summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public sealed class ReplicatedAppendTests(ReplicatedCluster fixture, ITestOutputHelper output) : IClassFixture<ReplicatedCluster>
{
    [Fact]
    public async Task ThreeReplicas_MajorityAcknowledges_TwoDownFailsFast_AndEveryDiskHoldsTheSameRecords()
    {
        // Silo_0 leads epoch 1 (the TestingHost's first silo is never stopped); Silo_1 and Silo_2 follow.
        var leaderSilo = fixture.SiloNames[0];
        var log = LogLedBy(fixture, leaderSilo, "repl");
        var key = PartitionKey.Format(log, "0");
        var grain = fixture.Partition(log);
        var acknowledged = new Dictionary<long, string>();
        var attempted = new HashSet<string>();

        async Task AppendAcknowledged(string payload)
        {
            attempted.Add(payload);
            var ack = await grain.AppendAsync(Bytes(payload));
            ack.IsDurable.Should().BeTrue();
            ack.Count.Should().Be(1);
            acknowledged.Add(ack.FirstId, payload);
        }

        for (var i = 0; i < 20; i++)
        {
            await AppendAcknowledged($"all-{i}");
        }

        acknowledged.Keys.Should().Equal(Enumerable.Range(0, 20).Select(i => (long)i));
        var configuration = (await ConfigurationAsync(fixture, log))!;
        configuration.Epoch.Should().Be(1);
        configuration.Leader.Should().Be(leaderSilo);
        configuration.Replicas.Should().Equal(PartitionOwnership.Rank(key, fixture.Owners, 3));
        (await grain.GetInfoAsync()).Silo.Should().Be(leaderSilo);

        // One follower down: a majority (leader and the other follower) still acknowledges.
        var (follower1, follower2) = (fixture.SiloNames[1], fixture.SiloNames[2]);
        await fixture.KillSiloAsync(follower1);
        for (var i = 0; i < 10; i++)
        {
            await AppendAcknowledged($"one-down-{i}");
        }

        // Two followers down: no majority; the append fails fast with the typed error and nothing is acknowledged.
        await fixture.KillSiloAsync(follower2);
        var visibleBefore = (await grain.GetInfoAsync()).DurableId;
        var watch = Stopwatch.StartNew();
        attempted.Add("two-down");
        var refused = await FluentActions.Awaiting(() => grain.AppendAsync(Bytes("two-down"))).Should().ThrowAsync<PartitionUnavailableException>();
        watch.Stop();
        output.WriteLine($"two of three down: refused after {watch.ElapsedMilliseconds} ms: {refused.Which.Message}");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(6), "the quorum bound is 2 s");
        refused.Which.Message.Should().Contain("no majority");
        (await grain.GetInfoAsync()).DurableId.Should().Be(visibleBefore, "nothing is shown to readers without a majority");
        visibleBefore.Should().Be(29);

        // One follower back: appends continue; ids stay dense (the refused record may commit once a majority holds it).
        await fixture.RestartSiloAsync(follower1);
        attempted.Add("back-0");
        var back = await AppendWithRetriesAsync(grain, Bytes("back-0"), null, TimeSpan.FromSeconds(30));
        acknowledged.Add(back.FirstId, "back-0");
        for (var i = 1; i < 10; i++)
        {
            await AppendAcknowledged($"back-{i}");
        }

        // The second follower catches up through the append path once it is back.
        await fixture.RestartSiloAsync(follower2);
        var lastId = acknowledged.Keys.Max();
        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    await grain.AppendAsync(Bytes("tick"), stamp: new ProducerStamp(7, 0)); // the same stamp: written once
                    var status = await ReplicaStatusAsync(fixture, log, follower2);
                    return status.DurableId >= lastId;
                }
                catch (Orleans.Runtime.OrleansException)
                {
                    return false; // the client still tries a gateway of a silo that was killed
                }
            },
            $"the restarted follower {follower2} held every acknowledged record durably",
            TimeSpan.FromSeconds(30));
        attempted.Add("tick");

        // Read through the grain: dense ids, every acknowledged record at its id.
        var read = await grain.ReadAsync(0, 10_000);
        read.Entries.Select(e => e.Id).Should().Equal(Enumerable.Range(0, read.Count).Select(i => (long)i));
        foreach (var (id, payload) in acknowledged)
        {
            System.Text.Encoding.UTF8.GetString(read[(int)id].Payload.Span).Should().Be(payload);
        }

        // Every replica's disk: the same ids and bytes (stop the silos first: a replica holds its folder's lock).
        var lastVisible = read.Entries[^1].Id;
        await fixture.KillSiloAsync(follower1);
        await fixture.KillSiloAsync(follower2);
        // The leader's silo keeps running (the first TestingHost silo is never stopped): its records as its grain reads them.
        var leaderDisk = read.Entries.Select((e, i) => (Id: e.Id, Payload: System.Text.Encoding.UTF8.GetString(read[i].Payload.Span))).ToList();
        foreach (var silo in new[] { follower1, follower2 })
        {
            var disk = await RecordsOnDiskAsync(fixture, silo, log);
            disk.Where(r => r.Id <= lastVisible).Should().Equal(leaderDisk, $"replica {silo} holds the leader's committed records");
        }

        leaderDisk.Select(r => r.Payload).Should().OnlyContain(p => attempted.Contains(p));
        foreach (var (id, payload) in acknowledged)
        {
            leaderDisk[(int)id].Should().Be((id, payload));
        }

        await fixture.RestartSiloAsync(follower1);
        await fixture.RestartSiloAsync(follower2);
    }

    [Fact]
    public async Task ThreeReplicas_LeaderRollsSegmentsOver_EveryReplicaHasTheSameSegmentBoundaries()
    {
        // 1 MiB segments (the fixture's); the leader starts a segment when the next record does not fit the active one.
        var log = LogLedBy(fixture, fixture.SiloNames[0], "roll");
        var grain = fixture.Partition(log);
        var payload = new byte[64 * 1024];
        for (var i = 0; i < 24; i++)
        {
            payload.AsSpan().Fill((byte)i);
            (await grain.AppendAsync(payload)).FirstId.Should().Be(i);
        }

        var leaderSegments = (await grain.GetInfoAsync()).Segments.Select(s => s.BaseId).ToArray();
        output.WriteLine($"leader segments: {string.Join(", ", leaderSegments)}");
        leaderSegments.Length.Should().BeGreaterThanOrEqualTo(2, "1.5 MiB of records do not fit one 1 MiB segment");
        foreach (var silo in fixture.SiloNames)
        {
            ReplicaStatus? status = null;
            await Wait.UntilAsync(
                async () => (status = await ReplicaStatusAsync(fixture, log, silo)).DurableId >= 23,
                () => $"replica {silo} held every record durably (it holds through {status?.DurableId})");
            status!.SegmentBaseIds.Should().Equal(leaderSegments, $"replica {silo} has the leader's segment boundaries");
        }

        var read = await grain.ReadAsync(0, 100, 16 * 1024 * 1024);
        read.Count.Should().Be(24);
        for (var i = 0; i < 24; i++)
        {
            read[i].Payload.ToArray().Should().OnlyContain(b => b == (byte)i);
        }
    }
}
