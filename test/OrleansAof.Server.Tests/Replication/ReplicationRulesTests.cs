using System.Collections.Immutable;
using FluentAssertions;
using OrleansAof.Server.Replication;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests.Replication;

/// <summary>Each rule of docs/replication.md on its own, with exact messages and positions.</summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class ReplicationRulesTests
{
    private static readonly ImmutableArray<string> Three = ["a", "b", "c"];

    [Fact]
    public void Replica_AppendFromOlderEpoch_RefusedStaleEpoch_LogUnchanged()
    {
        var (replica, store) = NewReplica("b");
        replica.Fence(5).Reason.Should().Be(RefusalReason.None);
        var outbox = new List<Outgoing>();

        replica.OnAppend("a", new AppendRequest(4, LogPosition.Start, [Record(4, 0)], LogPosition.Start, false, 0), outbox);

        var reply = outbox.Should().ContainSingle().Which.Message.Should().BeOfType<AppendReply>().Subject;
        reply.Reason.Should().Be(RefusalReason.StaleEpoch);
        reply.Promise.Should().Be(5);
        store.End.Should().Be(LogPosition.Start);
    }

    [Fact]
    public void Replica_AppendWhosePrevItLacks_RefusedPrevMismatch_WithItsEnd()
    {
        var (replica, store) = NewReplica("b");
        var outbox = new List<Outgoing>();

        replica.OnAppend("a", new AppendRequest(1, new LogPosition(1, 3), [Record(1, 4)], LogPosition.Start, false, 0), outbox);

        var reply = outbox.Should().ContainSingle().Which.Message.Should().BeOfType<AppendReply>().Subject;
        reply.Reason.Should().Be(RefusalReason.PrevMismatch);
        reply.RefusedPrev.Should().Be(new LogPosition(1, 3));
        reply.End.Should().Be(LogPosition.Start);
        store.End.Should().Be(LogPosition.Start);
    }

    [Fact]
    public void Replica_ReportsDurabilityOnlyAfterFlush_AndNeverToAnEpochItNoLongerPromises()
    {
        var (replica, _) = NewReplica("b");
        var outbox = new List<Outgoing>();
        replica.OnAppend("a", new AppendRequest(1, LogPosition.Start, [Start(1, -1), Record(1, 0)], LogPosition.Start, false, 0), outbox);
        outbox.Should().BeEmpty("nothing is durable yet");

        replica.Flush(outbox);
        outbox.Should().ContainSingle().Which.Message.Should().BeOfType<AppendReply>()
            .Which.Matched.Should().Be(new LogPosition(1, 0));

        outbox.Clear();
        replica.OnAppend("a", new AppendRequest(1, new LogPosition(1, 0), [Record(1, 1)], LogPosition.Start, false, 0), outbox);
        replica.Fence(2).Reason.Should().Be(RefusalReason.None);
        replica.Flush(outbox);
        outbox.Should().BeEmpty("a replica fenced by epoch 2 never reports durability to epoch 1");
    }

    [Fact]
    public void Replica_DivergentSuffix_TruncatedFromTheFirstDifference_MatchingEntriesKept()
    {
        var (replica, store) = NewReplica("b");
        var outbox = new List<Outgoing>();
        replica.OnAppend("a", new AppendRequest(1, LogPosition.Start, [Start(1, -1), Record(1, 0), Record(1, 1), Record(1, 2)], LogPosition.Start, false, 0), outbox);
        replica.Flush(outbox);

        // The leader of epoch 2 adopted a log that ends at (1,0): (1,1) and (1,2) were never committed.
        replica.OnAppend("c", new AppendRequest(2, new LogPosition(1, -1), [Record(1, 0), Start(2, 0), Record(2, 1)], LogPosition.Start, false, 0), outbox);

        store.ReadAfter(LogPosition.Start, 10).Select(e => e.Position).Should().Equal(
            new LogPosition(1, -1), new LogPosition(1, 0), new LogPosition(2, 0), new LogPosition(2, 1));
        store.RecordAt(1)!.Position.Should().Be(new LogPosition(2, 1));
    }

    [Fact]
    public void Replica_AskedToTruncateAtItsCommitPoint_FailStops()
    {
        var (replica, store) = NewReplica("b");
        var outbox = new List<Outgoing>();
        replica.OnAppend("a", new AppendRequest(1, LogPosition.Start, [Start(1, -1), Record(1, 0), Record(1, 1)], new LogPosition(1, 1), true, 0), outbox);
        replica.Commit.Should().Be(new LogPosition(1, 1));

        var act = () => replica.OnAppend("c", new AppendRequest(2, new LogPosition(1, 0), [Start(2, 0)], LogPosition.Start, false, 0), outbox);

        act.Should().Throw<ReplicationProtocolException>();
        store.End.Should().Be(new LogPosition(1, 1));
    }

    [Fact]
    public void Leader_OlderEpochEntryOnAMajority_NotCommittedUntilItsOwnEpochStartIs()
    {
        // a adopted a log ending at (1,0) that only it holds, and leads epoch 3.
        var (a, aStore) = NewReplica("a");
        aStore.Append(Start(1, -1));
        aStore.Append(Record(1, 0));
        aStore.Flush();
        a.Fence(3);
        var leader = new Leader(new ReplicationConfiguration(3, "a", Three), a, LogPosition.Start, maxBatch: 1);
        var acks = new List<Acknowledgement>();
        var outbox = new List<Outgoing>();
        aStore.Flush();
        leader.OnLocalFlush(acks);

        // b reports (1,0) durable: (1,0) is on a majority, but it is of epoch 1.
        leader.OnAppendReply("b", new AppendReply(3, RefusalReason.None, new LogPosition(1, 0), LogPosition.Start, new LogPosition(1, 0), 3, 7), acks);
        leader.Commit.Should().Be(LogPosition.Start);
        leader.Serving.Should().BeFalse();

        // b reports the epoch start (3,0): now everything through it is committed, and the leader serves.
        leader.OnAppendReply("b", new AppendReply(3, RefusalReason.None, new LogPosition(3, 0), LogPosition.Start, new LogPosition(3, 0), 3, 7), acks);
        leader.Commit.Should().Be(new LogPosition(3, 0));
        leader.Serving.Should().BeTrue();
        leader.VisibleThroughId.Should().Be(0);
        outbox.Should().BeEmpty();
    }

    [Fact]
    public void Leader_AcknowledgesWhenAMajorityHoldsTheRecordDurably_NotBefore()
    {
        var acks = new List<Acknowledgement>();
        var (leader, aStore) = ServingLeader("c", incarnation: 9, acks);

        leader.Append(new byte[] { 42 }, token: 100).Should().Be(0);
        aStore.Flush();
        leader.OnLocalFlush(acks);
        acks.Should().BeEmpty("only the leader holds id 0");

        leader.OnAppendReply("b", new AppendReply(1, RefusalReason.None, new LogPosition(1, 0), LogPosition.Start, new LogPosition(1, 0), 1, 8), acks);
        acks.Should().Equal(new Acknowledgement(100, 0));
    }

    [Fact]
    public void Leader_MarksASegmentStart_OnlyWhenItsCommitPointCoversItsLog()
    {
        var acks = new List<Acknowledgement>();
        var (leader, aStore) = ServingLeader("b", incarnation: 8, acks);
        leader.Append(new byte[] { 1 }, token: 1).Should().Be(0);

        // Id 0 is not committed: a rollover asked for now waits, so a segment boundary never sits after an uncommitted entry.
        leader.Append(new byte[] { 2 }, token: 2, startsSegment: true).Should().Be(1);
        aStore.Flush();
        leader.OnLocalFlush(acks);
        leader.OnAppendReply("b", new AppendReply(1, RefusalReason.None, new LogPosition(1, 1), LogPosition.Start, new LogPosition(1, 1), 1, 8), acks);
        leader.Commit.Should().Be(new LogPosition(1, 1));

        // Everything is committed now: the next append starts the segment the rollover asked for.
        leader.Append(new byte[] { 3 }, token: 3).Should().Be(2);
        string.Join(' ', aStore.ReadAfter(LogPosition.Start, 10)).Should().Be("start(1,-1) rec(1,0) rec(1,1) rec(1,2)|seg");
    }

    [Fact]
    public void Leader_RecordThatDoesNotFit_WaitsForTheCommitPoint_KeepsItsId_ThenStartsTheSegment()
    {
        var acks = new List<Acknowledgement>();
        var (leader, aStore) = ServingLeader("b", incarnation: 8, acks);
        leader.Append(new byte[] { 1 }, token: 1).Should().Be(0);

        // Id 0 is not committed and the next record does not fit the active segment: it gets id 1 but is not written yet,
        // nor is the append after it (ids stay in order).
        aStore.Rollover = length => length > 1 ? SegmentRollover.Required : SegmentRollover.None;
        leader.Append(new byte[] { 2, 2 }, token: 2).Should().Be(1);
        leader.Append(new byte[] { 3 }, token: 3).Should().Be(2);
        leader.Deferred.Should().Be(2);
        string.Join(' ', aStore.ReadAfter(LogPosition.Start, 10)).Should().Be("start(1,-1) rec(1,0)");

        // Id 0 committed: the waiting records are written, the first one starting the segment.
        aStore.Flush();
        leader.OnLocalFlush(acks);
        leader.OnAppendReply("b", new AppendReply(1, RefusalReason.None, new LogPosition(1, 0), LogPosition.Start, new LogPosition(1, 0), 1, 8), acks);
        leader.Deferred.Should().Be(0);
        string.Join(' ', aStore.ReadAfter(LogPosition.Start, 10)).Should().Be("start(1,-1) rec(1,0) rec(1,1)|seg rec(1,2)");
        acks.Should().Equal(new Acknowledgement(1, 0));
    }

    [Fact]
    public void Leader_ReplyWithHigherPromise_StepsDown_AndTakesNoMoreAppends()
    {
        var (a, aStore) = NewReplica("a");
        a.Fence(1);
        var leader = new Leader(new ReplicationConfiguration(1, "a", Three), a, LogPosition.Start, maxBatch: 4);
        var acks = new List<Acknowledgement>();
        aStore.Flush();
        leader.OnAppendReply("b", new AppendReply(1, RefusalReason.None, new LogPosition(1, -1), LogPosition.Start, new LogPosition(1, -1), 1, 8), acks);
        leader.Serving.Should().BeTrue();

        leader.OnAppendReply("c", new AppendReply(1, RefusalReason.StaleEpoch, LogPosition.Start, LogPosition.Start, LogPosition.Start, 2, 9), acks);

        leader.Active.Should().BeFalse();
        leader.Append(new byte[] { 1 }, token: 1).Should().Be(-1);
    }

    [Fact]
    public void Candidate_AdoptsTheMostUpToDateLogOfTheFencedMajority_ByEpochThenId()
    {
        var config = new InMemoryReplicationConfigurationStore(new ReplicationConfiguration(2, "b", Three));
        var (a, aStore) = NewReplica("a");
        aStore.Append(Start(1, -1));
        aStore.Append(Record(1, 0));
        aStore.Append(Record(1, 1));
        aStore.Append(Record(1, 2)); // longer, but of an older epoch
        aStore.Flush();
        var (c, cStore) = NewReplica("c");
        cStore.Append(Start(1, -1));
        cStore.Append(Record(1, 0));
        cStore.Append(Start(2, 0));
        cStore.Append(Record(2, 1));
        cStore.Flush();

        var candidate = Candidate.TryBegin(config, a, maxBatch: 4)!;
        candidate.Epoch.Should().Be(3);
        config.Read().Leader.Should().Be("a");
        var outbox = new List<Outgoing>();
        candidate.Step(outbox);
        var toC = new List<Outgoing>();
        c.OnFence("a", outbox.Single(o => o.To == "c").Message.Should().BeOfType<FenceRequest>().Subject, toC);
        candidate.OnFenceReply("c", (FenceReply)toC.Single().Message);
        candidate.State.Should().Be(CandidateState.Adopting);

        outbox.Clear();
        candidate.Step(outbox);
        toC.Clear();
        c.OnReadLog("a", (ReadLogRequest)outbox.Single().Message, toC);
        candidate.OnReadLogReply("c", (ReadLogReply)toC.Single().Message);

        candidate.State.Should().Be(CandidateState.Ready);
        aStore.ReadAfter(LogPosition.Start, 10).Select(e => e.Position).Should().Equal(
            new LogPosition(1, -1), new LogPosition(1, 0), new LogPosition(2, 0), new LogPosition(2, 1));
        var leader = candidate.BecomeLeader();
        leader.EpochStart.Should().Be(new LogPosition(3, 1));
    }

    [Fact]
    public void Candidate_CasLost_DoesNotStart()
    {
        var config = new InMemoryReplicationConfigurationStore(new ReplicationConfiguration(2, "b", Three));
        var (a, _) = NewReplica("a");
        config.TryCompareAndSwap(2, new ReplicationConfiguration(3, "c", Three)).Should().BeTrue();
        config.TryCompareAndSwap(2, new ReplicationConfiguration(3, "a", Three)).Should().BeFalse("the epoch moved on");
        Candidate.TryBegin(config, a, 4).Should().NotBeNull("a fresh read sees epoch 3 and takes 4");
        config.Read().Epoch.Should().Be(4);
    }

    [Fact]
    public void Candidate_WithoutAMajorityOfVoters_StaysFencing_AndNeverLeads()
    {
        var config = new InMemoryReplicationConfigurationStore(new ReplicationConfiguration(1, "b", Three));
        var (a, aStore) = NewReplica("a");
        var candidate = Candidate.TryBegin(config, a, maxBatch: 4)!;
        var outbox = new List<Outgoing>();
        candidate.Step(outbox);

        // b is down; c lost its volume and answers NotVoter: one voter of three is not a majority.
        var c = Replica.OpenAfterLostVolume("c", new InMemoryReplicaLogStore(), configurationEpoch: 1, incarnation: 5);
        var toC = new List<Outgoing>();
        c.OnFence("a", (FenceRequest)outbox.Single(o => o.To == "c").Message, toC);
        candidate.OnFenceReply("c", (FenceReply)toC.Single().Message);

        candidate.State.Should().Be(CandidateState.Fencing);
        candidate.FencedMajority.Should().BeFalse();
        var act = () => candidate.BecomeLeader();
        act.Should().Throw<InvalidOperationException>();
        aStore.End.Should().Be(LogPosition.Start, "nothing was written: unavailable, not wrong");
    }

    [Fact]
    public void LostVolume_ReplicaPromisesTheConfigurationEpoch_AnswersFencesNotVoter_UntilCaughtUpToACompleteCommitForItsIncarnation()
    {
        var store = new InMemoryReplicaLogStore();
        var replica = Replica.OpenAfterLostVolume("b", store, configurationEpoch: 4, incarnation: 77);
        replica.Promise.Should().Be(4);
        replica.Fence(5).Reason.Should().Be(RefusalReason.NotVoter);
        Candidate.TryBegin(new InMemoryReplicationConfigurationStore(new ReplicationConfiguration(5, "a", Three)), replica, 4).Should().BeNull();

        var outbox = new List<Outgoing>();
        var entries = new[] { Start(5, -1), Record(5, 0) };

        // A complete commit point, but addressed to an older incarnation: it may predate the loss.
        replica.OnAppend("a", new AppendRequest(5, LogPosition.Start, entries, new LogPosition(5, 0), true, ForIncarnation: 12), outbox);
        replica.Flush(outbox);
        replica.Voter.Should().BeFalse();

        replica.OnAppend("a", new AppendRequest(5, new LogPosition(5, 0), [], new LogPosition(5, 0), true, ForIncarnation: 77), outbox);
        replica.Flush(outbox);
        replica.Voter.Should().BeTrue();
        store.State.Voter.Should().BeTrue("voting is durable");
    }

    /// <summary>
    /// The leader of epoch 1 on replica a, serving: its epoch start is durable locally and <paramref name="follower"/>
    /// (of <paramref name="incarnation"/>) reported it durable.
    /// </summary>
    private static (Leader Leader, InMemoryReplicaLogStore Store) ServingLeader(string follower, long incarnation, List<Acknowledgement> acks)
    {
        var (a, aStore) = NewReplica("a");
        a.Fence(1);
        var leader = new Leader(new ReplicationConfiguration(1, "a", Three), a, LogPosition.Start, maxBatch: 4);
        aStore.Flush();
        leader.OnAppendReply(follower, new AppendReply(1, RefusalReason.None, new LogPosition(1, -1), LogPosition.Start, new LogPosition(1, -1), 1, incarnation), acks);
        leader.OnLocalFlush(acks);
        leader.Serving.Should().BeTrue();
        return (leader, aStore);
    }

    private static (Replica Replica, InMemoryReplicaLogStore Store) NewReplica(string name)
    {
        var store = new InMemoryReplicaLogStore();
        return (Replica.Open(name, store, incarnation: name[0]), store);
    }

    private static ReplicaEntry Record(long epoch, long id)
        => new(new LogPosition(epoch, id), ReplicaEntryKind.Record, BitConverter.GetBytes(id));

    private static ReplicaEntry Start(long epoch, long afterId)
        => new(new LogPosition(epoch, afterId), ReplicaEntryKind.EpochStart, ReadOnlyMemory<byte>.Empty);
}
