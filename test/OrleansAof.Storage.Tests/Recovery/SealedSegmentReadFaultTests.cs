using FluentAssertions;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>
/// A sealed segment whose file the device cannot read, or that was cut short, fails the reads of that segment with
/// <see cref="SegmentCorruptedException"/> and nothing else. The device errors are injected (a mapping whose pages fail
/// to prepare, a file whose reads fail with EIO); the real-kernel side of a cut file is checked against
/// <see cref="PhysicalFileSystem"/> itself, without touching a page that could fault. Mapped truncation in a running
/// process is in <see cref="MappedSegmentTruncationTests"/> (a child process, since a fault would abort this one).
/// </summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public class SealedSegmentReadFaultTests : RecoveryTestBase
{
    private const int Count = 400;

    private static byte[] Record(long id) => Payload(id, 900 + (int)(id % 200));

    private PartitionLogOptions SmallSegments(Action<PartitionLogOptions>? configure = null) => Options(o =>
    {
        o.MaxSegmentBytes = 64 * 1024;
        o.FlushPolicy = FlushPolicy.Async;
        configure?.Invoke(o);
    });

    private async Task<List<SegmentInfo>> WriteAsync(PartitionLogOptions options)
    {
        await using var log = await OpenAsync(options);
        for (var i = 0; i < Count; i++)
        {
            await log.AppendAsync(Record(i));
        }

        await log.FlushAsync();
        var sealedSegments = log.GetInfo().Segments.Where(static s => s.Status == SegmentStatus.Sealed).OrderBy(static s => s.BaseId).ToList();
        sealedSegments.Should().HaveCountGreaterThan(4);
        return sealedSegments;
    }

    [Fact]
    public async Task MappedRange_ThatFailsToPrepare_IsReadThroughTheFile_WithTheSameBytes()
    {
        var options = SmallSegments();
        var segments = await WriteAsync(options);
        var victim = segments[2];
        var fs = new ReadFaultFileSystem { Faulty = p => p.EndsWith(victim.FileName, StringComparison.Ordinal), FailPrepare = true };
        await using var log = await OpenAsync(options, fs);

        (await ReadAllAsync(log)).Select(static r => r.Payload.ToArray()).Should().BeEquivalentTo(Enumerable.Range(0, Count).Select(static i => Record(i)), o => o.WithStrictOrdering());
        log.Scan(0, log.LastId).Select(static r => (r.Id, r.Payload.ToArray())).Should().BeEquivalentTo(Enumerable.Range(0, Count).Select(static i => ((long)i, Record(i))), o => o.WithStrictOrdering());
        if (!OperatingSystem.IsWindows())
        {
            fs.FailedPrepares.Should().BePositive("the victim's mapped ranges were asked for and refused");
            fs.Prepares.Should().BeGreaterThan(fs.FailedPrepares, "the other segments' ranges prepared");
        }
    }

    [Fact]
    public async Task DeviceReadError_OnASealedSegment_FailsOnlyThatSegmentsReads_Typed()
    {
        var options = SmallSegments();
        var segments = await WriteAsync(options);
        var victim = segments[2];
        var fs = new ReadFaultFileSystem { Faulty = p => p.EndsWith(victim.FileName, StringComparison.Ordinal) };
        await using var log = await OpenAsync(options, fs);
        ScanIds(log, 0, log.LastId).Should().HaveCount(Count, "every segment reads (and maps) before the device fails");

        // The device now fails: pages that are not in memory cannot be brought in, and reads through the file get EIO.
        fs.FailPrepare = true;
        fs.FailReads = true;
        var read = async () => await log.ReadAsync(victim.BaseId + 3, 5);
        var error = (await read.Should().ThrowAsync<SegmentCorruptedException>()).Which;
        error.BaseId.Should().Be(victim.BaseId);
        error.Detail.Should().Contain("failed").And.Contain("Input/output error");
        var scanned = new List<long>();
        var scan = () =>
        {
            foreach (var r in log.Scan(0, log.LastId))
            {
                r.Payload.ToArray().Should().Equal(Record(r.Id));
                scanned.Add(r.Id);
            }
        };
        scan.Should().Throw<SegmentCorruptedException>().Which.BaseId.Should().Be(victim.BaseId);
        scanned.Should().Equal(Enumerable.Range(0, (int)victim.BaseId).Select(static i => (long)i), "the scan returns everything before the failing segment");

        // Every other segment, before and after it, still reads; appends go on.
        ScanIds(log, victim.LastId + 1, log.LastId).Should().Equal(Enumerable.Range((int)victim.LastId + 1, (int)(log.LastId - victim.LastId)).Select(static i => (long)i));
        (await log.ReadAsync(victim.BaseId - 1, 1))[0].Payload.ToArray().Should().Equal(Record(victim.BaseId - 1));
        (await log.ReadAsync(victim.LastId + 1, 1))[0].Payload.ToArray().Should().Equal(Record(victim.LastId + 1));
        (await log.AppendAsync(Record(Count))).FirstId.Should().Be(Count);

        // The device recovers: the segment reads again.
        fs.FailPrepare = false;
        fs.FailReads = false;
        ScanIds(log, victim.BaseId, victim.LastId).Should().HaveCount((int)(victim.LastId - victim.BaseId + 1));
    }

    [Fact]
    public async Task SealedSegment_CutShort_ReadThroughTheFile_IsATypedErrorNotEndOfStream()
    {
        // Without a map every read goes through the file: a read that ends early used to surface as EndOfStreamException.
        var options = SmallSegments(o => o.MapSealedSegments = false);
        var segments = await WriteAsync(options);
        var victim = segments[1];
        await using var log = await OpenAsync(options);
        ScanIds(log, 0, log.LastId).Should().HaveCount(Count);
        var path = Path.Combine(SegmentsDirectory(options.DataRoot), victim.FileName);
        var cut = new FileInfo(path).Length / 2;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            stream.SetLength(cut);
        }

        var read = async () => await log.ReadAsync(victim.LastId, 1);
        var error = (await read.Should().ThrowAsync<SegmentCorruptedException>()).Which;
        error.BaseId.Should().Be(victim.BaseId);
        error.Detail.Should().Be($"the file ends at byte {cut}, before the {victim.SizeBytes} bytes its footer records (it was truncated)");
        (await log.ReadAsync(victim.BaseId, 1))[0].Payload.ToArray().Should().Equal(Record(victim.BaseId), "a record before the cut still reads");
        (await log.ReadAsync(victim.LastId + 1, 1))[0].Payload.ToArray().Should().Equal(Record(victim.LastId + 1));
    }

    [UnixFact("PhysicalFileSystem maps files only on Unix.")]
    public void PhysicalMapping_OfACutFile_RefusesToPrepareThePagesItLost_WithoutTouchingThem()
    {
        var path = Path.Combine(Temp.Path, "mapped.bin");
        const int pages = 64;
        var page = Environment.SystemPageSize;
        File.WriteAllBytes(path, Enumerable.Range(0, pages * page).Select(static i => (byte)i).ToArray());
        using var file = PhysicalFileSystem.Instance.OpenFile(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var mapping = file.TryMapReadOnly(pages * page);
        mapping.Should().NotBeNull();
        mapping!.TryPrepareRead(0, pages * page).Should().BeTrue("the whole file is there");
        mapping.TryPrepareRead(-1, 10).Should().BeFalse();
        mapping.TryPrepareRead((pages * page) - 10, 11).Should().BeFalse("the range ends past the mapping");

        // Cut the file to 10 pages and 100 bytes: the 11th page is partly there (the rest reads as zeros), the 12th is gone.
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.SetLength((10 * page) + 100);
        }

        mapping.TryPrepareRead(0, 11 * page).Should().BeTrue("pages 0..10 are still (at least partly) in the file");
        mapping.TryPrepareRead(11 * page, 1).Should().BeFalse("page 11 is past the end of the file");
        mapping.TryPrepareRead(5 * page, 20 * page).Should().BeFalse("a range that reaches past the end");
        mapping.TryPrepareRead((pages - 1) * page, page).Should().BeFalse();
        file.Length.Should().Be((10 * page) + 100);
    }

    private static List<long> ScanIds(PartitionLog log, long from, long to)
    {
        var ids = new List<long>();
        foreach (var r in log.Scan(from, to))
        {
            r.Payload.ToArray().Should().Equal(Record(r.Id));
            ids.Add(r.Id);
        }

        return ids;
    }

    /// <summary>
    /// The real file system, except for files that <see cref="Faulty"/> picks: their mapped ranges fail to prepare
    /// (<see cref="FailPrepare"/>: a page the device could not deliver) and their reads fail with EIO (<see cref="FailReads"/>).
    /// </summary>
    private sealed class ReadFaultFileSystem : IFileSystem
    {
        private int _prepares;
        private int _failedPrepares;

        public Func<string, bool> Faulty { get; init; } = static _ => false;

        public volatile bool FailPrepare;

        public volatile bool FailReads;

        public int Prepares => Volatile.Read(ref _prepares);

        public int FailedPrepares => Volatile.Read(ref _failedPrepares);

        public IStorageFile OpenFile(string path, FileMode mode, FileAccess access, FileShare share = FileShare.Read, long preallocationSize = 0)
        {
            var file = PhysicalFileSystem.Instance.OpenFile(path, mode, access, share, preallocationSize);
            return new File(this, file, Faulty(path));
        }

        public bool FileExists(string path) => PhysicalFileSystem.Instance.FileExists(path);

        public bool DirectoryExists(string path) => PhysicalFileSystem.Instance.DirectoryExists(path);

        public void CreateDirectory(string path) => PhysicalFileSystem.Instance.CreateDirectory(path);

        public void DeleteFile(string path) => PhysicalFileSystem.Instance.DeleteFile(path);

        public void MoveFile(string source, string destination, bool overwrite) => PhysicalFileSystem.Instance.MoveFile(source, destination, overwrite);

        public void CopyFile(string source, string destination, bool overwrite) => PhysicalFileSystem.Instance.CopyFile(source, destination, overwrite);

        public IReadOnlyList<string> ListFiles(string directory, string searchPattern) => PhysicalFileSystem.Instance.ListFiles(directory, searchPattern);

        public long GetFileLength(string path) => PhysicalFileSystem.Instance.GetFileLength(path);

        public void FlushDirectory(string directory) => PhysicalFileSystem.Instance.FlushDirectory(directory);

        private sealed class File(ReadFaultFileSystem owner, IStorageFile inner, bool faulty) : IStorageFile
        {
            public string Path => inner.Path;

            public long Length => inner.Length;

            public void SetLength(long length) => inner.SetLength(length);

            public int Read(long offset, Span<byte> buffer) =>
                faulty && owner.FailReads ? throw new IOException($"Input/output error : '{Path}'", 5) : inner.Read(offset, buffer);

            public void Write(long offset, ReadOnlySpan<byte> buffer) => inner.Write(offset, buffer);

            public void Flush(bool dataOnly) => inner.Flush(dataOnly);

            public IReadOnlyFileMapping? TryMapReadOnly(long length) => inner.TryMapReadOnly(length) is { } mapping ? new Mapping(owner, mapping, faulty) : null;

            public void Dispose() => inner.Dispose();
        }

        private sealed class Mapping(ReadFaultFileSystem owner, IReadOnlyFileMapping inner, bool faulty) : IReadOnlyFileMapping
        {
            public nint Address => inner.Address;

            public long Length => inner.Length;

            public bool TryPrepareRead(long offset, long length)
            {
                Interlocked.Increment(ref owner._prepares);
                if (faulty && owner.FailPrepare)
                {
                    Interlocked.Increment(ref owner._failedPrepares);
                    return false;
                }

                return inner.TryPrepareRead(offset, length);
            }

            public void Dispose() => inner.Dispose();
        }
    }
}
