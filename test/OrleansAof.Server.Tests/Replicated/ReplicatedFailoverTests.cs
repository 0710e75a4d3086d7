using System.Diagnostics;
using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;
using Xunit.Abstractions;
using static OrleansAof.Server.Tests.Replicated.ReplicatedClusterFacts;

namespace OrleansAof.Server.Tests.Replicated;

/// <summary>
/// Killing the leader's silo of a partition with three replicas while a client appends: the client's retries land on a
/// new leader of a higher epoch, and every acknowledged record is there with its bytes, at dense ids.
/// </summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public sealed class ReplicatedFailoverTests(ReplicatedCluster fixture, ITestOutputHelper output) : IClassFixture<ReplicatedCluster>
{
    [Fact]
    public async Task KillingTheLeader_RetriesLandOnANewLeader_EveryAcknowledgedRecordSurvives()
    {
        // Silo_1 leads epoch 1 (the TestingHost's first silo is never stopped).
        var oldLeader = fixture.SiloNames[1];
        var log = LogLedBy(fixture, oldLeader, "fail");
        var grain = fixture.Partition(log);
        var acknowledged = new Dictionary<long, string>();
        var attempted = new HashSet<string>();
        const long producer = 42;
        var sequence = 0L;
        long killedAt = 0;
        var measuring = false;
        long firstAfterKill = 0;
        var retried = 0;

        async Task AppendOne()
        {
            var payload = $"p{sequence}";
            attempted.Add(payload);
            var stamp = new ProducerStamp(producer, sequence);
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    // A client that gives up on an answer after 1 s (a call in flight to a killed silo is otherwise
                    // answered only by the response timeout) and retries with the same stamp.
                    var ack = await grain.AppendAsync(Bytes(payload), stamp: stamp).WaitAsync(TimeSpan.FromSeconds(1));
                    ack.IsDurable.Should().BeTrue();
                    acknowledged.Should().NotContainKey(ack.FirstId, "an id is acknowledged once");
                    acknowledged.Add(ack.FirstId, payload);
                    if (measuring && firstAfterKill == 0)
                    {
                        firstAfterKill = Stopwatch.GetTimestamp();
                    }

                    sequence++;
                    return;
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException && deadline.Elapsed < TimeSpan.FromSeconds(60))
                {
                    // The leader died under the call, or the partition is failing over: retry with the same stamp.
                    retried++;
                }
            }
        }

        for (var i = 0; i < 30; i++)
        {
            await AppendOne();
        }

        (await ConfigurationAsync(fixture, log))!.Leader.Should().Be(oldLeader);

        // Kill the leader while an append is in flight, then keep appending.
        var inFlight = AppendOne();
        var killStarted = Stopwatch.GetTimestamp();
        await fixture.KillSiloAsync(oldLeader);
        killedAt = Stopwatch.GetTimestamp();
        await inFlight;
        measuring = true;
        for (var i = 0; i < 30; i++)
        {
            await AppendOne();
        }

        var window = Stopwatch.GetElapsedTime(killedAt, firstAfterKill);
        output.WriteLine($"kill started -> first acknowledged append on the new leader: {Stopwatch.GetElapsedTime(killStarted, firstAfterKill).TotalMilliseconds:0} ms");
        output.WriteLine($"unavailability window (silo killed -> first acknowledged append on the new leader, with the in-flight call's wait): {window.TotalMilliseconds:0} ms; {retried} retried calls");
        var configuration = (await ConfigurationAsync(fixture, log))!;
        configuration.Epoch.Should().BeGreaterThan(1, "the failover wrote a higher epoch");
        configuration.Leader.Should().NotBe(oldLeader);
        (await grain.GetInfoAsync()).Silo.Should().Be(configuration.Leader);

        // Every acknowledged record at its id with its bytes; ids dense; nothing that was never appended.
        var read = await grain.ReadAsync(0, 10_000);
        read.Entries.Select(e => e.Id).Should().Equal(Enumerable.Range(0, read.Count).Select(i => (long)i));
        var records = read.Entries.Select((e, i) => (Id: e.Id, Payload: System.Text.Encoding.UTF8.GetString(read[i].Payload.Span))).ToList();
        foreach (var (id, payload) in acknowledged)
        {
            records[(int)id].Should().Be((id, payload), "an acknowledged record survives the failover at its id");
        }

        records.Select(r => r.Payload).Should().OnlyContain(p => attempted.Contains(p));
        var duplicates = records.GroupBy(r => r.Payload).Count(g => g.Count() > 1);
        output.WriteLine($"{acknowledged.Count} acknowledged, {records.Count} records, {duplicates} payloads written twice (a retry across the failover)");
        acknowledged.Values.Should().OnlyHaveUniqueItems("each producer batch is acknowledged once");

        // The old leader comes back as a follower: its uncommitted suffix (if any) is replaced, and it catches up.
        await fixture.RestartSiloAsync(oldLeader);
        var lastId = records[^1].Id;
        await Wait.UntilAsync(
            async () =>
            {
                await AppendOne();
                try
                {
                    var status = await ReplicaStatusAsync(fixture, log, oldLeader);
                    return status.DurableId > lastId && status.Promise == configuration.Epoch;
                }
                catch (Orleans.Runtime.OrleansException)
                {
                    return false; // the client still tries a gateway of a silo that was killed
                }
            },
            $"the old leader {oldLeader} followed epoch {configuration.Epoch} past id {lastId}",
            TimeSpan.FromSeconds(30));
    }
}
