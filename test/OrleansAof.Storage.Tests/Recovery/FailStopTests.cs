using FluentAssertions;
using OrleansAof.Storage.Format;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>Fail-stop: an I/O error on write or fsync faults the partition; nothing is retried; a reopen recovers.</summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public class FailStopTests : RecoveryTestBase
{
    [Fact]
    public async Task FsyncFailure_ConcurrentSyncAppends_AllFailLaterAppendsAreRefusedAndReopenRecovers()
    {
        var options = Options(o => o.FlushOnCallerThread = false);
        var fs = SegmentFaults();
        var log = await OpenAsync(options, fs);
        (await log.AppendAsync(Payload(0))).Should().Be(new AppendResult(0, 0, true));
        (await log.AppendAsync(Payload(1))).Should().Be(new AppendResult(1, 1, true));

        fs.FailFlushAfter(0);

        // Appends issued before the failed fsync wait for it and fail; those issued after it are refused at once.
        async Task<AppendResult> AppendAsync(int i) => await log.AppendAsync(Payload(i));
        var pending = Enumerable.Range(2, 8).Select(AppendAsync).ToArray();
        foreach (var append in pending)
        {
            var act = async () => await append;
            (await act.Should().ThrowAsync<PartitionFaultedException>("no append after the failed fsync is acknowledged"))
                .Which.InnerException.Should().BeOfType<IOException>();
        }

        var info = log.GetInfo();
        info.State.Should().Be(PartitionState.Faulted);
        info.FaultReason.Should().Contain("fsync failed");
        info.DurableId.Should().Be(1, "nothing after the failed fsync became durable");
        log.GetFlushMetrics().FailedFlushes.Should().Be(1, "the failed fsync is not retried");
        var written = log.LastId;
        written.Should().BeInRange(2, 9, "at least the append that started the fsync was written");
        var later = async () => await log.AppendAsync(Payload(99));
        await later.Should().ThrowAsync<PartitionFaultedException>();
        var flush = async () => await log.FlushAsync();
        await flush.Should().ThrowAsync<PartitionFaultedException>();
        log.LastId.Should().Be(written, "a refused append changes nothing");
        (await ReadOneAsync(log, 1)).Should().Equal(Payload(1), "durable records stay readable");
        await log.DisposeAsync();

        // The failed appends were written but never acknowledged: recovery may keep those a checkpoint covers, whole.
        await using var again = await OpenAsync(options);
        again.State.Should().Be(PartitionState.Open);
        again.NextId.Should().BeInRange(2, written + 1);
        var records = await ReadAllAsync(again);
        records.Select(static r => r.Id).Should().Equal(Enumerable.Range(0, (int)again.NextId).Select(static i => (long)i));
        records[0].Payload.ToArray().Should().Equal(Payload(0));
        records[1].Payload.ToArray().Should().Equal(Payload(1));
        var attempted = Enumerable.Range(2, 8).Select(static i => Convert.ToHexString(Payload(i))).ToList();
        records.Skip(2).Select(static r => Convert.ToHexString(r.Payload.Span)).Should().OnlyHaveUniqueItems()
            .And.OnlyContain(p => attempted.Contains(p), "in-doubt records come back with exactly the bytes of a failed append");
        (await again.AppendAsync(Payload(42))).Should().Be(new AppendResult(again.NextId - 1, again.NextId - 1, true));
    }

    [Theory]
    [InlineData(10, "record")]
    [InlineData(100, "checkpoint")]
    public async Task DiskFull_DuringAnAppend_FaultsWithATypedErrorAndCorruptsNothing(int bytesLeft, string torn)
    {
        var fs = SegmentFaults();
        var log = await OpenAsync(fs: fs);
        for (var i = 0; i < 3; i++)
        {
            (await log.AppendAsync(Payload(i, 40))).Should().Be(new AppendResult(i, i, true));
        }

        SegmentFormat.RecordFrameSize(40).Should().BeGreaterThan(10).And.BeLessThan(100, "byte 100 lies in the checkpoint write");
        fs.DiskFullAtByte(fs.BytesWritten + bytesLeft);
        var append = async () => await log.AppendAsync(Payload(3, 40));
        var error = (await append.Should().ThrowAsync<PartitionFaultedException>($"the {torn} write found the disk full")).Which;
        error.InnerException.Should().BeOfType<IOException>().Which.Message.Should().Contain("no space left");
        log.State.Should().Be(PartitionState.Faulted);
        log.DurableId.Should().Be(2);
        var later = async () => await log.AppendAsync(Payload(4, 40));
        await later.Should().ThrowAsync<PartitionFaultedException>();
        await log.DisposeAsync();

        await using var again = await OpenAsync();
        again.State.Should().Be(PartitionState.Open);
        await ShouldHoldExactlyAsync(again, [.. Enumerable.Range(0, 3).Select(static i => Payload(i, 40))], "a full disk must not damage what was acknowledged");
        (await again.AppendAsync(Payload(3, 40))).Should().Be(new AppendResult(3, 3, true));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task DiskFull_WhenRollingOverToTheNextSegment_FaultsAndReopenKeepsEveryAcknowledgedRecord(bool sealFails)
    {
        // A dry run finds the append that rolls the segment over and how many segment bytes were written before it.
        var options = Options(o => o.MaxSegmentBytes = 4096);
        var (rollAt, bytesBefore) = await FindRollAsync(Options(o =>
        {
            o.MaxSegmentBytes = 4096;
            o.DataRoot = Temp.Combine("dry-run");
        }));
        var sealBytes = SegmentMetadata.Size + ProducerTable.HeaderSize + BinaryIndexHeader.TotalSize(rollAt) + SegmentFooter.Size;

        var fs = SegmentFaults();
        var log = await OpenAsync(options, fs);
        var acked = new List<byte[]>();
        for (var i = 0; i < rollAt; i++)
        {
            acked.Add(Payload(i, 200));
            (await log.AppendAsync(acked[i])).FirstId.Should().Be(i);
        }

        fs.BytesWritten.Should().Be(bytesBefore, "the run repeats the dry run");
        fs.DiskFullAtByte(bytesBefore + (sealFails ? 0 : sealBytes));
        var append = async () => await log.AppendAsync(Payload(rollAt, 200));
        (await append.Should().ThrowAsync<PartitionFaultedException>()).Which.Reason
            .Should().Contain(sealFails ? "sealing a segment failed" : "creating the next segment failed");
        await log.DisposeAsync();

        await using var again = await OpenAsync(options);
        again.State.Should().Be(PartitionState.Open);
        await ShouldHoldExactlyAsync(again, acked, "a full disk at a segment boundary");
        ScanFile(SegmentFiles(Temp.Path)[0]).IsSealed.Should().Be(!sealFails, "the seal either failed whole or completed");
        (await again.AppendAsync(Payload(rollAt, 200))).FirstId.Should().Be(rollAt);
    }

    private async Task<(int RollAt, long BytesBefore)> FindRollAsync(PartitionLogOptions options)
    {
        var fs = SegmentFaults();
        await using var log = await OpenAsync(options, fs);
        for (var i = 0; ; i++)
        {
            var before = fs.BytesWritten;
            await log.AppendAsync(Payload(i, 200));
            if (SegmentFiles(options.DataRoot).Length > 1)
            {
                return (i, before);
            }
        }
    }

    [Fact]
    public async Task ReadOnlyVolume_OpeningAnExistingPartition_FailsWithAClearErrorAndChangesNothing()
    {
        await using (var log = await OpenAsync())
        {
            await log.AppendAsync(Payload(0));
        }

        var before = Snapshot(PartitionDirectory(Temp.Path));
        var fs = SegmentFaults();
        fs.ReadOnly = true;
        var open = async () => await OpenAsync(fs: fs);
        (await open.Should().ThrowAsync<UnauthorizedAccessException>("a read-only volume is not a second writer"))
            .Which.Message.Should().Contain("read-only");
        Snapshot(PartitionDirectory(Temp.Path)).Should().BeEquivalentTo(before, "a failed open changes nothing");

        var fresh = async () => await OpenAsync(fs: fs, partition: "new");
        await fresh.Should().ThrowAsync<UnauthorizedAccessException>();
        Directory.Exists(Temp.Combine(LogName, "new")).Should().BeFalse();

        fs.ReadOnly = false;
        await using var again = await OpenAsync(fs: fs);
        await ShouldHoldExactlyAsync(again, [Payload(0)], "the volume is writable again");
    }

    [Fact]
    public async Task ReadOnlyVolume_ReportedAsEROFS_IsNotMistakenForASecondWriter()
    {
        // On Linux a read-only mount fails the lock file's open with IOException (HResult = errno 30, EROFS), not with
        // UnauthorizedAccessException; checked by hand on a read-only bind mount. Only a lock conflict is another writer.
        await using (var log = await OpenAsync())
        {
            await log.AppendAsync(Payload(0));
        }

        var open = async () => await OpenAsync(fs: new ErofsFileSystem());
        var error = (await open.Should().ThrowAsync<IOException>()).Which;
        error.Should().NotBeOfType<PartitionLockedException>();
        error.Message.Should().Contain("Read-only file system");
    }

    private static Dictionary<string, string> Snapshot(string directory) =>
        Directory.GetFiles(directory, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(directory, f), static f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

    /// <summary>Fails every open for writing as Linux does on a read-only mount.</summary>
    private sealed class ErofsFileSystem : IO.IFileSystem
    {
        private readonly IO.PhysicalFileSystem _inner = IO.PhysicalFileSystem.Instance;

        public IO.IStorageFile OpenFile(string path, FileMode mode, FileAccess access, FileShare share = FileShare.Read, long preallocationSize = 0) =>
            (access & FileAccess.Write) != 0 ? throw new IOException($"Read-only file system : '{path}'", 30) : _inner.OpenFile(path, mode, access, share, preallocationSize);

        public bool FileExists(string path) => _inner.FileExists(path);

        public bool DirectoryExists(string path) => _inner.DirectoryExists(path);

        public void CreateDirectory(string path) => _inner.CreateDirectory(path);

        public void DeleteFile(string path) => throw new IOException($"Read-only file system : '{path}'", 30);

        public void MoveFile(string source, string destination, bool overwrite) => throw new IOException($"Read-only file system : '{destination}'", 30);

        public void CopyFile(string source, string destination, bool overwrite) => throw new IOException($"Read-only file system : '{destination}'", 30);

        public IReadOnlyList<string> ListFiles(string directory, string searchPattern) => _inner.ListFiles(directory, searchPattern);

        public long GetFileLength(string path) => _inner.GetFileLength(path);

        public void FlushDirectory(string directory) => _inner.FlushDirectory(directory);
    }
}
