using System.Collections.Immutable;
using FluentAssertions;
using OrleansAof.Server.Replication;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;
using static OrleansAof.Server.Tests.Replication.ReplicaLogStoreContract;

namespace OrleansAof.Server.Tests.Replication;

/// <summary>
/// Catch-up by sealed segments on real files (docs/replication.md, "Catch-up"): a wiped replica is rebuilt from the
/// leader's sealed segments, local or in the archive, then the active tail; a damaged segment is refused and changes
/// nothing; a power loss inside an install leaves the old log or the new one.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class ReplicaCatchUpTests : IDisposable
{
    private const long SegmentBytes = 16 * 1024;
    private static readonly ImmutableArray<string> Three = ["a", "b", "c"];
    private readonly TempDirectory _dir = new("aof-replica-catchup");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task WipedFollower_CatchesUpBySegments_SomeFromTheArchive_EndingWithIdenticalRecordsAndPositions()
    {
        var archive = new FileSystemArchive(new FileSystemArchiveOptions { RootPath = _dir.Combine("archive") });
        await using var group = await EngineReplicaGroup.StartAsync(Three, Options, _ => new PartitionLogEnvironment { Archive = archive });
        var payloads = await AppendRoundsAsync(group, 20, seed: 11);
        group.NextEpoch();
        payloads.AddRange(await AppendRoundsAsync(group, 20, seed: 12, firstToken: payloads.Count + 1));

        // The leader archives its oldest sealed segments and evicts them (one replica archives; the keys are shared).
        var leader = group.Store("a");
        var archived = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            archived.Add((await leader.Partition.ArchiveNextAsync())!.BaseId);
        }

        (await leader.Partition.EvictArchivedAsync()).Select(s => s.BaseId).Should().Equal(archived);
        var sealedOnLeader = ReplicatedRolloverTests.SealedSegments(leader);
        sealedOnLeader.Count.Should().BeGreaterThanOrEqualTo(8);
        sealedOnLeader.Count(s => s.Status == SegmentStatus.LocalEvicted).Should().Be(3);

        // c loses its volume while down and comes back empty.
        await group.Store("c").DisposeAsync();
        Directory.Delete(_dir.Combine("c"), recursive: true);
        var wiped = await EngineReplicaLogStore.OpenAsync("log", "p0", Options("c"), new PartitionLogEnvironment { Archive = archive });
        wiped.End.Should().Be(LogPosition.Start, "a wiped replica does not restore the archive on its own");
        group.Replace("c", wiped, lostVolume: true);

        group.Pump();
        group.Append([42], payloads.Count + 1);
        payloads.Add([42]);
        group.Pump();

        group.Delivered["InstallSegmentRequest"].Should().Be(sealedOnLeader.Count, "every sealed segment went whole, once");
        var c = group.Store("c");
        Dump(c).Should().Be(Dump(leader));
        ReplicatedRolloverTests.SealedSegments(c).Select(s => (s.BaseId, s.LastId)).Should().Equal(sealedOnLeader.Select(s => (s.BaseId, s.LastId)));
        foreach (var segment in ReplicatedRolloverTests.SealedSegments(c))
        {
            ReplicatedRolloverTests.VerifySealed(Path.Combine(c.Partition.DirectoryPath, PartitionLayout.SegmentsFolder, segment.FileName), segment.BaseId, segment.LastId);
        }

        var records = await ReplicatedRolloverTests.ReadAllAsync(c.Partition);
        records.Count.Should().Be(payloads.Count);
        for (var id = 0; id < payloads.Count; id++)
        {
            records[id].Should().Equal(payloads[id], $"record {id}");
        }

        group["c"].Voter.Should().BeTrue("caught up with a complete commit point for its new incarnation");
        c.EpochMarks.Should().Equal(leader.EpochMarks);
    }

    [Fact]
    public async Task LaggingFollower_GetsTheRestOfItsSegmentAsEntries_ThenWholeSegments_ThenTheActiveTail()
    {
        await using var group = await EngineReplicaGroup.StartAsync(Three, Options);
        var payloads = await AppendRoundsAsync(group, 5, seed: 21);
        var b = group.Store("b");
        var bLast = b.Partition.LastId;
        b.Partition.Writer.ActiveCount.Should().BeGreaterThan(0, "b stops inside a segment");

        // b is down while a and c (a majority) go on through several segments.
        var down = new HashSet<string>(StringComparer.Ordinal) { "b" };
        var random = new Random(22);
        for (var round = 0; round < 30; round++)
        {
            for (var i = 0; i < 8; i++)
            {
                var payload = new byte[random.Next(1, 900)];
                random.NextBytes(payload);
                group.Append(payload, payloads.Count + 1);
                payloads.Add(payload);
            }

            group.Pump(down: down);
        }

        group.Delivered.GetValueOrDefault("InstallSegmentRequest").Should().Be(0, "no follower lagged a whole segment so far");
        var leader = group.Store("a");
        var whole = ReplicatedRolloverTests.SealedSegments(leader).Count(s => s.BaseId > bLast);
        whole.Should().BeGreaterThanOrEqualTo(3);

        group.Pump();

        group.Delivered["InstallSegmentRequest"].Should().Be(whole, "b's own segment was finished with entries, the later ones went whole");
        Dump(b).Should().Be(Dump(leader));
        ReplicatedRolloverTests.SealedSegments(b).Select(s => (s.BaseId, s.LastId)).Should().Equal(ReplicatedRolloverTests.SealedSegments(leader).Select(s => (s.BaseId, s.LastId)));
        var records = await ReplicatedRolloverTests.ReadAllAsync(b.Partition);
        records.Count.Should().Be(payloads.Count);
        for (var id = 0; id < payloads.Count; id++)
        {
            records[id].Should().Equal(payloads[id], $"record {id}");
        }
    }

    [Fact]
    public async Task CorruptedSegment_IsRefusedTyped_AndChangesNothing()
    {
        await using var group = await EngineReplicaGroup.StartAsync(["a"], Options);
        await AppendRoundsAsync(group, 10, seed: 3);
        var export = group.Store("a").ExportSegmentAfter(LogPosition.Start)!;
        export.Should().NotBeNull();
        await using var follower = await EngineReplicaLogStore.OpenAsync("log", "p0", Options("f"));
        var before = Snapshot(_dir.Combine("f"));

        // A flipped payload byte: the bytes no longer match the leader's checksum.
        var damaged = export.File.ToArray();
        damaged[200] ^= 0x10;
        var act = () => follower.InstallSegment(export with { File = damaged });
        act.Should().Throw<OrleansAof.Storage.SegmentCorruptedException>().Which.Detail.Should().Contain("checksum");

        // A sender that checksummed the damage: the replica's own scan of every frame finds it.
        act = () => follower.InstallSegment(export with { File = damaged, FileChecksum = OrleansAof.Storage.Format.Crc32C.Compute(damaged) });
        act.Should().Throw<OrleansAof.Storage.SegmentCorruptedException>().Which.BaseId.Should().Be(0);

        // The right bytes announced as other ids.
        act = () => follower.InstallSegment(export with { LastId = export.LastId + 1, Last = new LogPosition(export.Last.Epoch, export.Last.Id + 1) });
        act.Should().Throw<OrleansAof.Storage.SegmentCorruptedException>().Which.Detail.Should().Contain("not 0..");

        Dump(follower).Should().BeEmpty();
        follower.Partition.LastId.Should().Be(-1);
        Snapshot(_dir.Combine("f")).Should().Equal(before);

        follower.InstallSegment(export);
        var expected = group.Store("a").ReadAfter(LogPosition.Start, int.MaxValue).TakeWhile(e => e.Position <= export.Last).Select(Show);
        follower.ReadAfter(LogPosition.Start, int.MaxValue).Select(Show).Should().Equal(expected);
    }

    /// <summary>
    /// A power loss after every file-system operation of an install (the active segment sealed, the file received, the
    /// epochs, the rename, the reopen): the log that comes back is the old one or the one with the whole segment.
    /// </summary>
    [Fact]
    public async Task Install_PowerLossAtEveryStep_OldOrNewLog()
    {
        await using var group = await EngineReplicaGroup.StartAsync(["a"], Options);
        await AppendRoundsAsync(group, 4, seed: 5);
        group.NextEpoch();
        await AppendRoundsAsync(group, 8, seed: 6, firstToken: 1000);
        var leader = group.Store("a");
        var segments = ReplicatedRolloverTests.SealedSegments(leader);
        segments.Count.Should().BeGreaterThanOrEqualTo(3);

        // The follower holds the first segment's entries as appended records (its active segment); the second is installed.
        var firstEntries = leader.ReadAfter(LogPosition.Start, int.MaxValue).TakeWhile(e => e.Position.Id <= segments[0].LastId).ToList();
        var prev = firstEntries[^1].Position;
        var export = leader.ExportSegmentAfter(prev)!;
        export.BaseId.Should().Be(segments[1].BaseId);
        var allEntries = leader.ReadAfter(LogPosition.Start, int.MaxValue);
        var oldLog = string.Join(' ', allEntries.TakeWhile(e => e.Position <= prev).Select(Show));
        var newLog = string.Join(' ', allEntries.TakeWhile(e => e.Position <= export.Last).Select(Show));
        var outcomes = new Dictionary<string, int>();
        for (var step = 0; ; step++)
        {
            var options = Options("sweep" + step);
            await using (var setup = await EngineReplicaLogStore.OpenAsync("log", "p0", options))
            {
                foreach (var entry in firstEntries)
                {
                    setup.Append(entry);
                }

                setup.Flush();
            }

            var fs = new FaultInjectingFileSystem { CrashModel = CrashModel.PowerLoss };
            var store = await EngineReplicaLogStore.OpenAsync("log", "p0", options, new PartitionLogEnvironment { FileSystem = fs });
            fs.CrashAfterOperations(step);
            var finished = false;
            try
            {
                store.InstallSegment(export);
                finished = !fs.Crashed;
            }
            catch (Exception e) when (fs.Crashed)
            {
                _ = e; // the injected crash: every later operation is refused too
            }

            fs.Crash();
            try
            {
                await store.DisposeAsync();
            }
            catch (Exception e) when (e is IOException or AppendLogException or PartitionFaultedException or ObjectDisposedException)
            {
                // The crashed process's close is refused.
            }

            fs.SimulateRestart();
            await using var reopened = await EngineReplicaLogStore.OpenAsync("log", "p0", options);
            reopened.Partition.State.Should().Be(PartitionState.Open, $"step {step}: {reopened.Partition.FaultReason}");
            var log = string.Join(' ', reopened.ReadAfter(LogPosition.Start, int.MaxValue).Select(Show));
            log.Should().BeOneOf([oldLog, newLog], $"after a power loss at step {step}");
            outcomes[log == oldLog ? "old" : "new"] = outcomes.GetValueOrDefault(log == oldLog ? "old" : "new") + 1;
            Directory.GetFiles(reopened.Partition.DirectoryPath, "*.install", SearchOption.AllDirectories).Should().BeEmpty();
            if (log == newLog)
            {
                ReplicatedRolloverTests.SealedSegments(reopened).Select(s => (s.BaseId, s.LastId)).Should().Equal((segments[0].BaseId, segments[0].LastId), (segments[1].BaseId, segments[1].LastId));
            }

            if (finished)
            {
                log.Should().Be(newLog);
                break;
            }

            step.Should().BeLessThan(400, "the sweep must reach a run without a crash");
        }

        outcomes.Keys.Should().Contain(["old", "new"], "the sweep crosses the install");
    }

    private static string Show(ReplicaEntry e) => $"{e}:{OrleansAof.Storage.Format.Crc32C.Compute(e.Payload.Span):X8}";

    private PartitionLogOptions Options(string name)
        => new() { DataRoot = _dir.Combine(name), FlushPolicy = FlushPolicy.Async, MaxSegmentBytes = SegmentBytes, MaxRecordBytes = 1024, KeepLocalSegments = 1 };

    private static Task<List<byte[]>> AppendRoundsAsync(EngineReplicaGroup group, int rounds, int seed, int firstToken = 1)
    {
        var random = new Random(seed);
        var payloads = new List<byte[]>();
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < 8; i++)
            {
                var payload = new byte[random.Next(1, 900)];
                random.NextBytes(payload);
                group.Append(payload, firstToken + payloads.Count);
                payloads.Add(payload);
            }

            group.Pump();
        }

        return Task.FromResult(payloads);
    }

    private static Dictionary<string, string> Snapshot(string root)
        => Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(PartitionLayout.CatalogFileName, StringComparison.Ordinal) && !f.Contains("catalog.db", StringComparison.Ordinal) && !f.EndsWith(PartitionLayout.LockFileName, StringComparison.Ordinal))
            .ToDictionary(f => f, f => Convert.ToHexString(File.ReadAllBytes(f)));
}
