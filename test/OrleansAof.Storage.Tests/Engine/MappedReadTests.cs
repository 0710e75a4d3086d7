using FluentAssertions;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

/// <summary>
/// Sealed segments are read through a memory map where the file system offers one (Unix): scans hand out payloads
/// straight from the mapping and reads copy once. These tests hold the mapped path to the buffered one byte for byte,
/// show that damage in a mapped segment is still reported, and that a segment can be evicted while a scan reads it.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public class MappedReadTests : LogTestBase
{
    private const int Count = 400;

    private static readonly bool MapsHere = !OperatingSystem.IsWindows();

    private static byte[] SizedPayload(long id) => Payload(id, 1 + (int)(id * 37 % 3000));

    private PartitionLogOptions SmallSegments(Action<PartitionLogOptions>? configure = null) => Options(o =>
    {
        o.MaxSegmentBytes = 64 * 1024;
        o.MaxRecordBytes = 8 * 1024;
        o.FlushPolicy = FlushPolicy.Async;
        configure?.Invoke(o);
    });

    /// <summary>Writes <see cref="Count"/> records of varied sizes over several segments, with checkpoints between them (a flush every 37 records).</summary>
    private async Task WriteAsync(PartitionLogOptions options)
    {
        await using var log = await OpenAsync(options);
        for (var i = 0; i < Count; i++)
        {
            (await log.AppendAsync(SizedPayload(i))).FirstId.Should().Be(i);
            if (i % 37 == 36)
            {
                await log.FlushAsync();
            }
        }

        await log.FlushAsync();
        log.GetInfo().Segments.Count(static s => s.Status == SegmentStatus.Sealed).Should().BeGreaterThan(5);
    }

    private static List<(long Id, long Timestamp, byte[] Payload)> ScanAll(PartitionLog log, long from, long to) =>
        [.. log.Scan(from, to).Select(static r => (r.Id, r.TimestampMicros, r.Payload.ToArray()))];

    private static async Task<List<(long Id, long Timestamp, byte[] Payload)>> ReadAllCopiedAsync(PartitionLog log) =>
        [.. (await ReadAllAsync(log)).Select(static r => (r.Id, r.TimestampMicros, r.Payload.ToArray()))];

    private async Task<(List<(long, long, byte[])> Scan, List<(long, long, byte[])> Middle, List<(long, long, byte[])> Read, long[] Backward, int Mappings)> ReadEverythingAsync(PartitionLogOptions options, FaultInjectingFileSystem fs)
    {
        await using var log = await OpenAsync(options, fs);
        var scan = ScanAll(log, 0, log.LastId);
        var middle = ScanAll(log, 123, 321);
        var read = await ReadAllCopiedAsync(log);
        var backward = (await log.ReadBackwardAsync(log.LastId, Count)).Entries.Select(static e => e.Id).ToArray();
        return (scan, middle, read, backward, fs.MappingCount);
    }

    [Fact]
    public async Task MappedReads_EqualBufferedReads_ByteForByte()
    {
        var options = SmallSegments();
        await WriteAsync(options);

        var mapped = await ReadEverythingAsync(options, new FaultInjectingFileSystem());
        var buffered = await ReadEverythingAsync(options, new FaultInjectingFileSystem { AllowMapping = false });
        var optedOut = await ReadEverythingAsync(SmallSegments(o => o.MapSealedSegments = false), new FaultInjectingFileSystem());

        if (MapsHere)
        {
            mapped.Mappings.Should().BeGreaterThan(5, "every sealed segment that was read is mapped");
        }

        buffered.Mappings.Should().Be(0);
        optedOut.Mappings.Should().Be(0, "MapSealedSegments = false never asks for a mapping");
        var expected = Enumerable.Range(0, Count).Select(static i => SizedPayload(i)).ToList();
        foreach (var run in new[] { mapped, buffered, optedOut })
        {
            run.Scan.Select(static r => r.Item1).Should().Equal(Enumerable.Range(0, Count).Select(static i => (long)i));
            run.Scan.Select(static r => r.Item3).Should().BeEquivalentTo(expected, o => o.WithStrictOrdering());
            run.Middle.Select(static r => r.Item1).Should().Equal(Enumerable.Range(123, 199).Select(static i => (long)i));
            run.Backward.Should().Equal(Enumerable.Range(0, Count).Reverse().Select(static i => (long)i));
        }

        foreach (var (a, b) in new[] { (mapped, buffered), (mapped, optedOut) })
        {
            a.Scan.Select(static r => (r.Item1, r.Item2)).Should().Equal(b.Scan.Select(static r => (r.Item1, r.Item2)), "ids and timestamps agree");
            a.Scan.Select(static r => r.Item3).Should().BeEquivalentTo(b.Scan.Select(static r => r.Item3), o => o.WithStrictOrdering());
            a.Middle.Select(static r => r.Item3).Should().BeEquivalentTo(b.Middle.Select(static r => r.Item3), o => o.WithStrictOrdering());
            a.Read.Select(static r => (r.Item1, r.Item2)).Should().Equal(b.Read.Select(static r => (r.Item1, r.Item2)));
            a.Read.Select(static r => r.Item3).Should().BeEquivalentTo(b.Read.Select(static r => r.Item3), o => o.WithStrictOrdering());
        }
    }

    [Fact]
    public async Task MappedScan_StoppedEarlyAndResumed_ReturnsTheSameRecords()
    {
        var options = SmallSegments();
        await WriteAsync(options);
        await using var log = await OpenAsync(options);
        foreach (var from in new long[] { 0, 57, 199, Count - 1 })
        {
            var taken = log.Scan(from, log.LastId).Take(70).Select(static r => (r.Id, r.Payload.ToArray())).ToList();
            taken.Select(static r => r.Id).Should().Equal(Enumerable.Range((int)from, (int)Math.Min(70, Count - from)).Select(static i => (long)i));
            foreach (var (id, payload) in taken)
            {
                payload.Should().Equal(SizedPayload(id));
            }
        }
    }

    [Fact]
    public async Task MappedSegment_DamagedAfterItWasMapped_ScanAndReadReportIt()
    {
        var options = SmallSegments();
        await WriteAsync(options);
        var fs = new FaultInjectingFileSystem();
        await using var log = await OpenAsync(options, fs);
        ScanAll(log, 0, log.LastId).Should().HaveCount(Count, "the first scan maps the sealed segments");
        if (MapsHere)
        {
            fs.MappingCount.Should().BeGreaterThan(5);
        }

        var segment = log.GetInfo().Segments.Where(static s => s.Status == SegmentStatus.Sealed).OrderBy(static s => s.BaseId).ElementAt(2);
        var path = Path.Combine(options.DataRoot, "orders", "0", "segments", segment.FileName);
        var layout = ScanFile(path);
        var victim = layout.Records[layout.Records.Count / 2];

        // The file changes under the mapping (a shared mapping sees the page cache): a flipped payload bit.
        FlipBit(path, victim.Offset + RecordHeader.Size + (victim.PayloadLength / 2));
        var seen = new List<long>();
        var scan = () =>
        {
            foreach (var r in log.Scan(0, log.LastId))
            {
                r.Payload.Span.SequenceEqual(SizedPayload(r.Id)).Should().BeTrue("record {0} is returned only when it is intact", r.Id);
                seen.Add(r.Id);
            }
        };
        scan.Should().Throw<SegmentCorruptedException>().Which.BaseId.Should().Be(segment.BaseId);
        seen.Should().Equal(Enumerable.Range(0, (int)victim.Id).Select(static i => (long)i), "every record before the damaged one is returned, none after");
        var read = async () => await log.ReadAsync(victim.Id, 1);
        (await read.Should().ThrowAsync<SegmentCorruptedException>()).Which.BaseId.Should().Be(segment.BaseId);

        // Undo it, then damage the header's id field instead: the record is not where the index says.
        FlipBit(path, victim.Offset + RecordHeader.Size + (victim.PayloadLength / 2));
        ScanAll(log, segment.BaseId, segment.LastId).Should().HaveCount((int)(segment.LastId - segment.BaseId + 1));
        FlipBit(path, victim.Offset + 16);
        var scanSegment = () => ScanAll(log, segment.BaseId, segment.LastId);
        scanSegment.Should().Throw<SegmentCorruptedException>().Which.BaseId.Should().Be(segment.BaseId);
        (await read.Should().ThrowAsync<SegmentCorruptedException>()).Which.BaseId.Should().Be(segment.BaseId);
    }

    [Fact]
    public async Task MappedSegment_DamagedBeforeOpen_ScanReportsItWithTheSegment()
    {
        var options = SmallSegments();
        await WriteAsync(options);
        var first = Directory.GetFiles(Path.Combine(options.DataRoot, "orders", "0", "segments"), PartitionLayout.SegmentFilePattern).Order(StringComparer.Ordinal).First();
        var victim = ScanFile(first).Records[3];
        FlipBit(first, victim.Offset + RecordHeader.Size);

        await using var log = await OpenAsync(options);
        var scan = () => ScanAll(log, 0, log.LastId);
        var error = scan.Should().Throw<SegmentCorruptedException>().Which;
        error.BaseId.Should().Be(0);
        error.Detail.Should().Contain("record 3 fails its checksum");
        ScanAll(log, 4, log.LastId).Should().HaveCount(Count - 4, "the records after the damaged one still verify");
    }

    [Fact]
    public async Task MappedSegment_EvictedWhileAScanReadsIt_TheScanFinishesAndTheFileIsGone()
    {
        using var archiveRoot = new TempDirectory("mapped-evict");
        var archive = new FileSystemArchive(new FileSystemArchiveOptions { RootPath = archiveRoot.Path });
        var fs = new FaultInjectingFileSystem();
        var options = SmallSegments(o => o.KeepLocalSegments = 1);
        await using var log = await PartitionLog.OpenAsync("orders", "0", options, new PartitionLogEnvironment { FileSystem = fs, Archive = archive });
        for (var i = 0; i < Count; i++)
        {
            await log.AppendAsync(SizedPayload(i));
        }

        await log.FlushAsync();
        while (await log.ArchiveNextAsync() is not null)
        {
        }

        var oldest = log.GetInfo().Segments.Where(static s => s.Status == SegmentStatus.Archived).OrderBy(static s => s.BaseId).First();
        var path = Path.Combine(options.DataRoot, "orders", "0", "segments", oldest.FileName);
        ReadOnlyMemory<byte> firstPayload;
        var seen = 0;
        using (var scan = log.Scan(oldest.BaseId, oldest.LastId).GetEnumerator())
        {
            scan.MoveNext().Should().BeTrue();
            firstPayload = scan.Current.Payload;
            seen++;

            // The archiver deletes the file while the scan holds the segment (mapped on Unix).
            var evicted = await log.EvictArchivedAsync();
            evicted.Select(static s => s.BaseId).Should().Contain(oldest.BaseId);
            File.Exists(path).Should().BeFalse("eviction deletes the local file even while it is read");

            firstPayload.Span.SequenceEqual(SizedPayload(oldest.BaseId)).Should().BeTrue("the scan's current payload stays valid until it moves on");
            while (scan.MoveNext())
            {
                scan.Current.Id.Should().Be(oldest.BaseId + seen);
                scan.Current.Payload.Span.SequenceEqual(SizedPayload(scan.Current.Id)).Should().BeTrue();
                seen++;
            }
        }

        seen.Should().Be((int)(oldest.LastId - oldest.BaseId + 1), "the open scan reads the evicted segment to its end");
        if (MapsHere)
        {
            fs.MappingCount.Should().BePositive();

            // The scan is over and the segment gone: its mapping was released, and a payload kept past the scan says so.
            var stale = () => firstPayload.Span.Length;
            stale.Should().Throw<ObjectDisposedException>();
        }

        // The evicted ids are served from the archive again.
        (await log.ReadAsync(oldest.BaseId, 1))[0].Payload.ToArray().Should().Equal(SizedPayload(oldest.BaseId));
    }

    private static SegmentScanResult ScanFile(string path)
    {
        using var file = PhysicalFileSystem.Instance.OpenFile(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return SegmentScanner.ScanForward(file, 1024 * 1024);
    }

    private static void FlipBit(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        stream.Position = offset;
        var b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x10));
    }
}
