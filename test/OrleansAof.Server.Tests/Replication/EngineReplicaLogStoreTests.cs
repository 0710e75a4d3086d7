using FluentAssertions;
using OrleansAof.Server.Replication;
using OrleansAof.Storage;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;
using Xunit;
using static OrleansAof.Server.Tests.Replication.ReplicaLogStoreContract;

namespace OrleansAof.Server.Tests.Replication;

/// <summary>The engine's replica store on real files: seals, bytes on disk, and crashes inside a truncation.</summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class EngineReplicaLogStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new("aof-replica");

    private PartitionLogOptions Options => new() { DataRoot = _dir.Path, FlushPolicy = FlushPolicy.Async, MaxSegmentBytes = 1 << 20, MaxRecordBytes = 64 * 1024 };

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Truncation_AcrossASeal_IsRefusedTyped_AndChangesNothing()
    {
        await using var store = await OpenAsync(PhysicalFileSystem.Instance);
        store.Append(Start(1, -1));
        for (var i = 0; i < 5; i++)
        {
            store.Append(Rec(1, i, "r" + i, startsSegment: i == 3));
        }

        store.Flush();
        var files = Snapshot();

        var act = () => store.TruncateAfter(P(1, 1));

        act.Should().Throw<ReplicaTruncationAcrossSealException>().Which.ActiveBaseId.Should().Be(3);
        Dump(store).Should().Be("start(1,-1) rec(1,0)=r0 rec(1,1)=r1 rec(1,2)=r2 rec(1,3)=r3|seg rec(1,4)=r4");
        Snapshot().Should().Equal(files);
        store.Partition.GetInfo().Segments.Select(s => (s.BaseId, s.LastId)).Should().Equal((0L, 2L), (3L, 4L));

        // Cutting right at the seal empties the active segment and is allowed.
        store.TruncateAfter(P(1, 2));
        Dump(store).Should().Be("start(1,-1) rec(1,0)=r0 rec(1,1)=r1 rec(1,2)=r2");
        store.Partition.LastId.Should().Be(2);
        store.Partition.DurableId.Should().Be(2);
    }

    [Fact]
    public async Task Append_WithAGap_IsRefusedTyped_AndWritesNothing()
    {
        await using var store = await OpenAsync(PhysicalFileSystem.Instance);
        store.Append(Start(1, -1));
        store.Append(Rec(1, 0, "r0"));

        var act = () => store.Append(Rec(1, 2, "gap"));

        act.Should().Throw<ReplicaAppendOutOfOrderException>().Which.LastId.Should().Be(0);
        store.Partition.LastId.Should().Be(0);
        Dump(store).Should().Be("start(1,-1) rec(1,0)=r0");
    }

    [Fact]
    public async Task Truncation_ZeroesEveryByteAfterTheCut_AndReopensToExactRecords()
    {
        string segment;
        long cut, oldEnd;
        await using (var store = await OpenAsync(PhysicalFileSystem.Instance))
        {
            store.Append(Start(1, -1));
            for (var i = 0; i < 6; i++)
            {
                store.Append(Rec(1, i, new string((char)('a' + i), 100 + i)));
            }

            store.Flush();
            segment = Directory.GetFiles(Path.Combine(store.Partition.DirectoryPath, PartitionLayout.SegmentsFolder), PartitionLayout.SegmentFilePattern).Single();
            oldEnd = store.Partition.Writer.ActiveBaseId == 0 ? new FileInfo(segment).Length : -1;
            store.TruncateAfter(P(1, 2));
            cut = RecordOffset(store.Partition, 3);
            store.Append(Rec(1, 3, "z"));
            store.Flush();
        }

        var bytes = File.ReadAllBytes(segment);

        // After the new record and its checkpoint, nothing of the old records 4 and 5 is left.
        var newEnd = cut + 56 + 48; // record frame of a 1-byte payload (32 + 8 + 16) and one checkpoint
        bytes.AsSpan((int)newEnd, (int)Math.Min(oldEnd, bytes.Length) - (int)newEnd).ToArray().Should().OnlyContain(b => b == 0);
        await using var reopened = await OpenAsync(PhysicalFileSystem.Instance);
        Dump(reopened).Should().Be($"start(1,-1) rec(1,0)={new string('a', 100)} rec(1,1)={new string('b', 101)} rec(1,2)={new string('c', 102)} rec(1,3)=z");
        var read = await reopened.Partition.ReadAsync(0, 100);
        read.Entries.Select(e => e.Id).Should().Equal(0L, 1L, 2L, 3L);
    }

    /// <summary>
    /// A power loss after every file-system operation of a truncation (and of the appends after it): the log that comes back
    /// is the old one or the new one, never one with truncated records, a resurrected epoch start, or a damaged segment.
    /// </summary>
    [Fact]
    public async Task Truncation_PowerLossAtEveryStep_OldOrNewLog_NeverResurrected()
    {
        const string Old = "start(1,-1) rec(1,0)=r0 rec(1,1)=r1 rec(1,2)=r2 start(2,2) rec(2,3)=s3 rec(2,4)=s4";
        const string Cut = "start(1,-1) rec(1,0)=r0 rec(1,1)=r1 rec(1,2)=r2";
        const string New = Cut + " start(3,2) rec(3,3)=t3";
        var outcomes = new Dictionary<string, int>();
        for (var step = 0; ; step++)
        {
            var root = _dir.Combine("sweep" + step);
            var options = new PartitionLogOptions { DataRoot = root, FlushPolicy = FlushPolicy.Async, MaxSegmentBytes = 1 << 20, MaxRecordBytes = 64 * 1024 };
            await using (var setup = await EngineReplicaLogStore.OpenAsync("log", "p0", options))
            {
                foreach (var entry in new[] { Start(1, -1), Rec(1, 0, "r0"), Rec(1, 1, "r1"), Rec(1, 2, "r2"), Start(2, 2), Rec(2, 3, "s3"), Rec(2, 4, "s4") })
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
                store.TruncateAfter(P(1, 2));
                store.Append(Start(3, 2));
                store.Append(Rec(3, 3, "t3"));
                store.Flush();
                finished = !fs.Crashed;
            }
            catch (Exception e) when (fs.Crashed)
            {
                // The injected crash: every later operation is refused too.
                _ = e;
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
            var log = Dump(reopened);
            log.Should().BeOneOf([Old, Cut, Cut + " start(3,2)", New], $"after a power loss at step {step}");
            outcomes[log == Old ? "old" : log == New ? "new" : "cut"] = outcomes.GetValueOrDefault(log == Old ? "old" : log == New ? "new" : "cut") + 1;
            if (finished)
            {
                log.Should().Be(New);
                break;
            }

            step.Should().BeLessThan(200, "the sweep must reach a run without a crash");
        }

        outcomes.Keys.Should().Contain(["old", "cut", "new"], "the sweep crosses every stage of the truncation");
    }

    [Fact]
    public async Task Open_WithAnIdBoundStore_IsRefused_NamingTheOption()
    {
        var env = new PartitionLogEnvironment { IdBounds = new NoBounds() };

        var act = () => EngineReplicaLogStore.OpenAsync("log", "p0", Options, env);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain(nameof(PartitionLogEnvironment.IdBounds));
    }

    [Fact]
    public async Task Open_WithADamagedStateFile_IsRefusedTyped()
    {
        string path;
        await using (var store = await OpenAsync(PhysicalFileSystem.Instance))
        {
            store.WriteState(new ReplicaDurableState(3, true, P(3, 9), 0));
            path = Path.Combine(store.Partition.DirectoryPath, PartitionLayout.ReplicaStateFileName);
        }

        var bytes = File.ReadAllBytes(path);
        bytes[9] ^= 1;
        File.WriteAllBytes(path, bytes);

        var act = () => OpenAsync(PhysicalFileSystem.Instance);

        (await act.Should().ThrowAsync<ReplicaFileCorruptedException>()).Which.Path.Should().Be(path);
    }

    private static long RecordOffset(PartitionLog log, long id)
    {
        var info = log.GetInfo();
        info.LastId.Should().BeGreaterThanOrEqualTo(id - 1);
        var segment = Directory.GetFiles(Path.Combine(log.DirectoryPath, PartitionLayout.SegmentsFolder), PartitionLayout.SegmentFilePattern).Single();
        var bytes = File.ReadAllBytes(segment);

        // Walk the frames from the header: records (magic AOFR) and checkpoints (AOFC) until the record after id - 1.
        long at = 64;
        while (at + 4 <= bytes.Length)
        {
            var magic = BitConverter.ToUInt32(bytes, (int)at);
            if (magic == 0x52464F41)
            {
                if (BitConverter.ToInt64(bytes, (int)at + 16) == id - 1)
                {
                    var length = BitConverter.ToInt32(bytes, (int)at + 8);
                    return at + 32 + ((length + 7) & ~7) + 16;
                }

                at += 32 + ((BitConverter.ToInt32(bytes, (int)at + 8) + 7) & ~7) + 16;
            }
            else if (magic == 0x43464F41)
            {
                at += 48;
            }
            else
            {
                break;
            }
        }

        throw new InvalidOperationException($"Record {id - 1} not found.");
    }

    private Task<EngineReplicaLogStore> OpenAsync(IFileSystem fs)
        => EngineReplicaLogStore.OpenAsync("log", "p0", Options, new PartitionLogEnvironment { FileSystem = fs });

    private Dictionary<string, string> Snapshot()
        => Directory.GetFiles(_dir.Path, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(PartitionLayout.CatalogFileName, StringComparison.Ordinal) && !f.Contains("catalog.db", StringComparison.Ordinal) && !f.EndsWith(PartitionLayout.LockFileName, StringComparison.Ordinal))
            .ToDictionary(f => f, f => Convert.ToHexString(File.ReadAllBytes(f)));

    private sealed class NoBounds : IIdBoundStore
    {
        public Task<long?> ReadAsync(string log, string partition, CancellationToken cancellationToken) => Task.FromResult<long?>(null);

        public Task WriteAsync(string log, string partition, long bound, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
