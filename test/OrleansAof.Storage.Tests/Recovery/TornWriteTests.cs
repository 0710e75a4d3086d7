using System.Diagnostics;
using FluentAssertions;
using OrleansAof.Storage.Format;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>
/// Garnet's torn-tail model: write with commit-wait, crash in the middle of the newest write (at every byte of it),
/// restart, assert recovery to the last acknowledged record, write again, crash and recover a second time.
/// A tear is a crash: the <see cref="FaultInjectingFileSystem"/> lets the bytes before the tear reach the file and
/// nothing after. Files are not preallocated unless a test says so, so a torn frame is also a short file.
/// </summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public class TornWriteTests : RecoveryTestBase
{
    private const int AckedBefore = 3;
    private const int TornPayloadSize = 21;

    private static byte[][] Payloads(int count) => [.. Enumerable.Range(0, count).Select(static i => Payload(i, TornPayloadSize))];

    [Fact]
    public async Task TornLastAppend_SyncEveryByteOfRecordAndCheckpoint_RecoversAcknowledgedPrefixAndSurvivesASecondCrash()
    {
        using var scratch = ScratchRoot.Create("torn-sync");
        var frame = SegmentFormat.RecordFrameSize(TornPayloadSize);
        var span = frame + FlushCheckpoint.Size;
        (await MeasureLastAppendAsync(FlushPolicy.Sync)).Should().Be(span, "a Sync append is one record write and one checkpoint write");
        var payloads = Payloads(AckedBefore + 4);
        var sw = Stopwatch.StartNew();
        for (var k = 0; k < span; k++)
        {
            var because = k < frame ? $"the record write was torn after {k} of {frame} bytes" : $"the checkpoint write was torn after {k - frame} of {FlushCheckpoint.Size} bytes";
            var options = Options(o => o.DataRoot = scratch.Combine(k));

            // Crash 1: the last append is torn at byte k.
            await CrashDuringAppendAsync(options, [.. payloads.Take(AckedBefore)], payloads[AckedBefore], k, because);

            // Recover: exactly the acknowledged prefix; write again; crash 2 tears another append at a byte derived from k.
            var fs = SegmentFaults();
            var log = await OpenAsync(options, fs);
            log.State.Should().Be(PartitionState.Open, because);
            await ShouldHoldExactlyAsync(log, [.. payloads.Take(AckedBefore)], because);
            (await log.AppendAsync(payloads[AckedBefore])).Should().Be(new AppendResult(AckedBefore, AckedBefore, true), because);
            (await log.AppendAsync(payloads[AckedBefore + 1])).Should().Be(new AppendResult(AckedBefore + 1, AckedBefore + 1, true), because);
            var second = (k * 7) % span;
            fs.TearAtByte(fs.BytesWritten + second);
            var torn = async () => await log.AppendAsync(payloads[AckedBefore + 2]);
            await torn.Should().ThrowAsync<PartitionFaultedException>(because);
            fs.Crashed.Should().BeTrue();
            await DisposeAfterCrashAsync(log);

            // Recover a second time: both sessions' acknowledged records, and appends continue at the next id.
            await using var again = await OpenAsync(options);
            await ShouldHoldExactlyAsync(again, [.. payloads.Take(AckedBefore + 2)], $"{because}, then a second crash tore byte {second}");
            (await again.AppendAsync(payloads[AckedBefore + 2])).Should().Be(new AppendResult(AckedBefore + 2, AckedBefore + 2, true));
            (await ReadOneAsync(again, AckedBefore + 2)).Should().Equal(payloads[AckedBefore + 2]);
        }

        sw.Elapsed.Should().BeLessThan(TimeSpan.FromMinutes(2), "the torn-write sweep must stay a quick test");
    }

    [Fact]
    public async Task TornLastAppend_SyncIntoZeroFilledSegment_KeepsAnUnacknowledgedRecordOnlyWhenAllItsBytesArrived()
    {
        // In a zero-filled (preallocated) segment a tear that withholds only bytes that were zeros anyway leaves a complete
        // frame behind: the unacknowledged record may then survive (an in-doubt append), but only with exactly its bytes.
        using var scratch = ScratchRoot.Create("torn-zero-filled");
        var frame = SegmentFormat.RecordFrameSize(TornPayloadSize);
        var span = frame + FlushCheckpoint.Size;
        var payloads = Payloads(AckedBefore + 2);
        var kept = new List<int>();
        for (var k = 0; k < span; k++)
        {
            var because = $"the last append was torn after {k} of {span} bytes";
            var options = Options(o => o.DataRoot = scratch.Combine(k));
            await CrashDuringAppendAsync(options, [.. payloads.Take(AckedBefore)], payloads[AckedBefore], k, because, new ZeroFilledSegments(64 * 1024));

            await using var log = await OpenAsync(options);
            log.State.Should().Be(PartitionState.Open, because);
            if (log.LastId == AckedBefore)
            {
                kept.Add(k);
                await ShouldHoldExactlyAsync(log, [.. payloads.Take(AckedBefore + 1)], because);
            }
            else
            {
                await ShouldHoldExactlyAsync(log, [.. payloads.Take(AckedBefore)], because);
            }

            (await log.AppendAsync(payloads[AckedBefore + 1])).FirstId.Should().Be(log.LastId, because);
        }

        // Only a tear inside the checkpoint's timestamp, whose top byte is zero, leaves a complete checkpoint behind;
        // a record whose checkpoint is missing is never kept under Sync, even when the record itself is whole.
        kept.Should().NotBeEmpty("withholding the zero top byte of the checkpoint's timestamp leaves it complete")
            .And.OnlyContain(k => k >= frame + 40, "a Sync record survives only when its checkpoint is complete");
    }

    [Theory]
    [InlineData(FlushPolicyKind.Async)]
    [InlineData(FlushPolicyKind.Batched)]
    public async Task TornRecordWrite_AcknowledgedOnWritePolicies_DropsOnlyTheTornRecord(FlushPolicyKind kind)
    {
        using var scratch = ScratchRoot.Create("torn-ack");
        var policy = kind == FlushPolicyKind.Async ? FlushPolicy.Async : FlushPolicy.Batched(100);
        var frame = SegmentFormat.RecordFrameSize(TornPayloadSize);
        var payloads = Payloads(AckedBefore + 2);
        for (var k = 0; k < frame; k++)
        {
            var because = $"the record write was torn after {k} of {frame} bytes under {policy}";
            var options = Options(o =>
            {
                o.DataRoot = scratch.Combine(k);
                o.FlushPolicy = policy;
            });
            var fs = SegmentFaults();
            var log = await OpenAsync(options, fs);
            (await log.AppendAsync(payloads[0])).Should().Be(new AppendResult(0, 0, false));
            await log.FlushAsync();
            for (var i = 1; i < AckedBefore; i++)
            {
                // Acknowledged when written; no checkpoint covers these.
                (await log.AppendAsync(payloads[i])).Should().Be(new AppendResult(i, i, false));
            }

            fs.TearAtByte(fs.BytesWritten + k);
            var torn = async () => await log.AppendAsync(payloads[AckedBefore]);
            await torn.Should().ThrowAsync<PartitionFaultedException>(because);
            await DisposeAfterCrashAsync(log);

            await using var again = await OpenAsync(options);
            again.State.Should().Be(PartitionState.Open, because);
            await ShouldHoldExactlyAsync(again, [.. payloads.Take(AckedBefore)], because);
            (await again.AppendAsync(payloads[AckedBefore])).FirstId.Should().Be(AckedBefore, because);
        }
    }

    [Fact]
    public async Task TornCheckpoint_Async_KeepsEveryRecordAcknowledgedOnWrite()
    {
        using var scratch = ScratchRoot.Create("torn-async-cp");
        var payloads = Payloads(AckedBefore + 1);
        for (var k = 0; k < FlushCheckpoint.Size; k++)
        {
            var because = $"the checkpoint write was torn after {k} of {FlushCheckpoint.Size} bytes";
            var options = Options(o =>
            {
                o.DataRoot = scratch.Combine(k);
                o.FlushPolicy = FlushPolicy.Async;
            });
            var fs = SegmentFaults();
            var log = await OpenAsync(options, fs);
            for (var i = 0; i < AckedBefore; i++)
            {
                (await log.AppendAsync(payloads[i])).Should().Be(new AppendResult(i, i, false));
            }

            fs.TearAtByte(fs.BytesWritten + k);
            var flush = async () => await log.FlushAsync();
            await flush.Should().ThrowAsync<PartitionFaultedException>(because);
            log.GetInfo().State.Should().Be(PartitionState.Faulted);
            await DisposeAfterCrashAsync(log);

            await using var again = await OpenAsync(options);
            await ShouldHoldExactlyAsync(again, [.. payloads.Take(AckedBefore)], because);
            (await again.AppendAsync(payloads[AckedBefore])).FirstId.Should().Be(AckedBefore);
        }
    }

    [Fact]
    public async Task TornBackgroundCheckpoint_Batched_KeepsTheBatchThatTriggeredIt()
    {
        using var scratch = ScratchRoot.Create("torn-batched-cp");
        const int batch = 3;
        var payloads = Payloads(batch + 1);
        for (var k = 0; k < FlushCheckpoint.Size; k++)
        {
            var because = $"the background checkpoint write was torn after {k} of {FlushCheckpoint.Size} bytes";
            var options = Options(o =>
            {
                o.DataRoot = scratch.Combine(k);
                o.FlushPolicy = FlushPolicy.Batched(batch);
            });
            var fs = SegmentFaults();
            var log = await OpenAsync(options, fs);
            for (var i = 0; i < batch - 1; i++)
            {
                (await log.AppendAsync(payloads[i])).Should().Be(new AppendResult(i, i, false));
            }

            // The third record's write is whole; the flush it triggers on the flusher thread is torn.
            fs.TearAtByte(fs.BytesWritten + SegmentFormat.RecordFrameSize(TornPayloadSize) + k);
            (await log.AppendAsync(payloads[batch - 1])).Should().Be(new AppendResult(batch - 1, batch - 1, false));
            await Wait.UntilAsync(() => log.State == PartitionState.Faulted, "the torn background checkpoint faults the partition");
            log.DurableId.Should().Be(-1, because);
            await DisposeAfterCrashAsync(log);

            await using var again = await OpenAsync(options);
            await ShouldHoldExactlyAsync(again, [.. payloads.Take(batch)], because);
            (await again.AppendAsync(payloads[batch])).FirstId.Should().Be(batch);
        }
    }

    [Theory]
    [InlineData(FlushPolicyKind.Sync)]
    [InlineData(FlushPolicyKind.Async)]
    public async Task TornBatch_EveryByte_NoRecordOfTheBatchIsEverVisible(FlushPolicyKind kind)
    {
        using var scratch = ScratchRoot.Create("torn-batch");
        var policy = kind == FlushPolicyKind.Sync ? FlushPolicy.Sync : FlushPolicy.Async;
        const int before = 2;
        var payloads = Payloads(before + 3);
        var batch = payloads.Skip(before).Select(static p => (ReadOnlyMemory<byte>)p).ToArray();
        var frames = batch.Length * SegmentFormat.RecordFrameSize(TornPayloadSize);
        var span = kind == FlushPolicyKind.Sync ? frames + FlushCheckpoint.Size : frames;
        for (var k = 0; k < span; k++)
        {
            var because = $"the batch's write was torn after {k} of {span} bytes under {policy}";
            var options = Options(o =>
            {
                o.DataRoot = scratch.Combine(k);
                o.FlushPolicy = policy;
            });
            var fs = SegmentFaults();
            var log = await OpenAsync(options, fs);
            for (var i = 0; i < before; i++)
            {
                (await log.AppendAsync(payloads[i])).FirstId.Should().Be(i);
            }

            fs.TearAtByte(fs.BytesWritten + k);
            var torn = async () => await log.AppendBatchAsync(batch);
            await torn.Should().ThrowAsync<PartitionFaultedException>(because);
            await DisposeAfterCrashAsync(log);

            await using var again = await OpenAsync(options);
            await ShouldHoldExactlyAsync(again, [.. payloads.Take(before)], because);
            (await again.AppendBatchAsync(batch)).Should().Be(new AppendResult(before, before + batch.Length - 1, kind == FlushPolicyKind.Sync));
        }
    }

    [Fact]
    public async Task TornBatch_SpanningSeveralWrites_NoRecordOfTheBatchIsEverVisible()
    {
        using var scratch = ScratchRoot.Create("torn-big-batch");
        // A batch larger than the 1 MiB write buffer goes to the file in several writes; the first can be whole on disk.
        const int size = 400 * 1024;
        var batch = Enumerable.Range(1, 3).Select(i => (ReadOnlyMemory<byte>)Payload(i, size)).ToArray();
        var frame = SegmentFormat.RecordFrameSize(size);
        long[] tears = [0, frame, (2 * frame) - 1, 2 * frame, (2 * frame) + 1, (3 * frame) - 1];
        foreach (var k in tears)
        {
            var because = $"the batch was torn after {k} of {3 * frame} bytes";
            var options = Options(o =>
            {
                o.DataRoot = scratch.Combine(k);
                o.FlushPolicy = FlushPolicy.Async;
                o.MaxRecordBytes = 512 * 1024;
            });
            var fs = SegmentFaults();
            var log = await OpenAsync(options, fs);
            (await log.AppendAsync(Payload(0))).FirstId.Should().Be(0);
            var start = fs.BytesWritten;
            fs.TearAtByte(start + k);
            var torn = async () => await log.AppendBatchAsync(batch);
            await torn.Should().ThrowAsync<PartitionFaultedException>(because);
            if (k >= 2 * frame)
            {
                fs.WriteCount.Should().BeGreaterThan(2, "the first two records went out in a write of their own");
            }

            await DisposeAfterCrashAsync(log);
            await using var again = await OpenAsync(options);
            await ShouldHoldExactlyAsync(again, [Payload(0)], because);
            (await again.AppendBatchAsync(batch)).Should().Be(new AppendResult(1, 3, false));
        }
    }

    /// <summary>Opens a fresh log, appends <paramref name="acked"/> (each acknowledged) and tears the next append at byte <paramref name="tearAt"/> of its writes.</summary>
    private async Task CrashDuringAppendAsync(PartitionLogOptions options, byte[][] acked, byte[] torn, long tearAt, string because, IO.IFileSystem? inner = null)
    {
        var fs = inner is null ? SegmentFaults() : new FaultInjectingFileSystem(inner) { WriteFilter = static p => p.EndsWith(PartitionLayout.SegmentExtension, StringComparison.Ordinal) };
        var log = await OpenAsync(options, fs);
        for (var i = 0; i < acked.Length; i++)
        {
            (await log.AppendAsync(acked[i])).Should().Be(new AppendResult(i, i, true));
        }

        fs.TearAtByte(fs.BytesWritten + tearAt);
        var append = async () => await log.AppendAsync(torn);
        await append.Should().ThrowAsync<PartitionFaultedException>(because);
        fs.Crashed.Should().BeTrue(because);
        log.State.Should().Be(PartitionState.Faulted, because);
        await DisposeAfterCrashAsync(log);
    }

    /// <summary>How many bytes the last append of a small log writes to its segment file under <paramref name="policy"/>.</summary>
    private async Task<long> MeasureLastAppendAsync(FlushPolicy policy)
    {
        var fs = SegmentFaults();
        await using var log = await OpenAsync(Options(o =>
        {
            o.DataRoot = Temp.Combine("measure");
            o.FlushPolicy = policy;
        }), fs);
        var payloads = Payloads(AckedBefore + 1);
        for (var i = 0; i < AckedBefore; i++)
        {
            await log.AppendAsync(payloads[i]);
        }

        var before = fs.BytesWritten;
        await log.AppendAsync(payloads[AckedBefore]);
        return fs.BytesWritten - before;
    }

    /// <summary>Extends every new segment file with zeros, as a zero-filled preallocation does, so torn frames are not short files.</summary>
    private sealed class ZeroFilledSegments(long size) : IO.IFileSystem
    {
        private readonly IO.PhysicalFileSystem _inner = IO.PhysicalFileSystem.Instance;

        public IO.IStorageFile OpenFile(string path, FileMode mode, FileAccess access, FileShare share = FileShare.Read, long preallocationSize = 0)
        {
            var file = _inner.OpenFile(path, mode, access, share, preallocationSize);
            if (mode == FileMode.CreateNew && path.EndsWith(PartitionLayout.SegmentExtension, StringComparison.Ordinal))
            {
                file.SetLength(size);
            }

            return file;
        }

        public bool FileExists(string path) => _inner.FileExists(path);

        public bool DirectoryExists(string path) => _inner.DirectoryExists(path);

        public void CreateDirectory(string path) => _inner.CreateDirectory(path);

        public void DeleteFile(string path) => _inner.DeleteFile(path);

        public void MoveFile(string source, string destination, bool overwrite) => _inner.MoveFile(source, destination, overwrite);

        public void CopyFile(string source, string destination, bool overwrite) => _inner.CopyFile(source, destination, overwrite);

        public IReadOnlyList<string> ListFiles(string directory, string searchPattern) => _inner.ListFiles(directory, searchPattern);

        public long GetFileLength(string path) => _inner.GetFileLength(path);

        public void FlushDirectory(string directory) => _inner.FlushDirectory(directory);
    }
}
