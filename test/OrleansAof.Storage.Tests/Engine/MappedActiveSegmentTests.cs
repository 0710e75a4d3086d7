using System.Globalization;
using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

/// <summary>
/// Under <see cref="ActiveSegmentWriteMode.Mapped"/> non-<c>Sync</c> appends are encoded into a shared, writable memory map
/// of the active segment (Linux). These tests look at the process's own mappings (<c>/proc/self/maps</c>, <c>smaps</c>) to
/// tell whether the segment is mapped, check that a mapped segment reopens with every byte, that a flush writes the mapped
/// pages back, that seals and closes unmap, that a file system without mappings and the <see cref="ActiveSegmentWriteMode.Write"/>
/// mode write through the file, and that a mapped append allocates nothing.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public class MappedActiveSegmentTests : LogTestBase
{
    private const string LinuxOnly = "The active segment is mapped for writing on Linux only.";

    /// <summary>64 B payloads: 112-byte frames, so 1 MiB (where a segment starts to be mapped) is 9,363 records.</summary>
    private const int Size = 64;

    private const int PastMapThreshold = 12_000;

    private const long SegmentHeaderSize = 64;

    private PartitionLogOptions Mapped(Action<PartitionLogOptions>? configure = null) => Options(o =>
    {
        o.MaxSegmentBytes = 8 * 1024 * 1024;
        o.FlushPolicy = FlushPolicy.Async;
        o.ActiveSegmentWrite = ActiveSegmentWriteMode.Mapped;
        configure?.Invoke(o);
    });

    [LinuxFact(LinuxOnly)]
    public async Task MappedAppends_Reopen_EveryRecordWithItsBytes()
    {
        var options = Mapped();
        await using (var log = await OpenAsync(options))
        {
            for (var i = 0; i < PastMapThreshold; i++)
            {
                (await log.AppendAsync(Payload(i, Size))).FirstId.Should().Be(i);
            }

            WritableMappings(SegmentPath(0)).Should().ContainSingle("appends past the first MiB of the segment go through its mapping");
        }

        WritableMappings(SegmentPath(0)).Should().BeEmpty("closing the partition unmaps the active segment");
        await using var reopened = await OpenAsync(options);
        reopened.State.Should().Be(PartitionState.Open);
        reopened.NextId.Should().Be(PastMapThreshold);
        var all = await ReadAllAsync(reopened);
        all.Select(static r => r.Id).Should().Equal(Enumerable.Range(0, PastMapThreshold).Select(static i => (long)i));
        all.Where(static r => !r.Payload.Span.SequenceEqual(Payload(r.Id, Size))).Select(static r => r.Id).Should().BeEmpty("every record comes back with its bytes");
    }

    [LinuxFact(LinuxOnly)]
    public async Task Flush_WritesTheMappedPagesBack()
    {
        await using var log = await OpenAsync(Mapped());
        for (var i = 0; i < PastMapThreshold; i++)
        {
            await log.AppendAsync(Payload(i, Size));
        }

        DirtyKilobytes(SegmentPath(0)).Should().BeGreaterThan(0, "records were stored through the mapping and not flushed yet");
        (await log.FlushAsync()).Should().Be(PastMapThreshold - 1);
        DirtyKilobytes(SegmentPath(0)).Should().Be(0, "the flush's fdatasync writes back every page stored through the mapping");
        log.GetInfo().DurableId.Should().Be(PastMapThreshold - 1);
    }

    /// <summary>
    /// A power loss keeps any subset of the pages stored since the last flush. Here a run of two pages after the durable
    /// data never reached the disk (zeros in a copy of the segment file) while the pages after it did: recovery keeps
    /// every record before the hole (flushed or acknowledged on write) and nothing after it, as for any torn tail.
    /// </summary>
    [LinuxFact(LinuxOnly)]
    public async Task DirtyMappedPagesThatNeverReachedTheDisk_RecoverLikeATornTail()
    {
        const int Durable = PastMapThreshold;
        const int Written = Durable + 3_000;
        var copyRoot = Path.Combine(Temp.Path, "copy");
        await using (var log = await OpenAsync(Mapped()))
        {
            for (var i = 0; i < Written; i++)
            {
                await log.AppendAsync(Payload(i, Size));
                if (i == Durable - 1)
                {
                    (await log.FlushAsync()).Should().Be(Durable - 1);
                }
            }

            WritableMappings(SegmentPath(0)).Should().ContainSingle();

            // What the disk would hold: the page cache's view of the segment file, taken while it is mapped.
            var segments = Path.Combine(copyRoot, "orders", "0", "segments");
            Directory.CreateDirectory(segments);
            File.Copy(SegmentPath(0), Path.Combine(segments, Path.GetFileName(SegmentPath(0))));
        }

        // Frames of 112 bytes from offset 64; one 48-byte checkpoint after the durable records.
        const long Frame = 112;
        const long DurableEnd = SegmentHeaderSize + (Frame * Durable) + 48;
        var holeStart = ((DurableEnd + 4095) & ~4095L) + 4096;
        var copied = Path.Combine(copyRoot, "orders", "0", "segments", Path.GetFileName(SegmentPath(0)));
        using (var file = new FileStream(copied, FileMode.Open, FileAccess.Write))
        {
            file.Position = holeStart;
            file.Write(new byte[8192]);
        }

        var keptBeforeHole = Durable + (int)((holeStart - DurableEnd) / Frame);
        await using var reopened = await PartitionLog.OpenAsync("orders", "0", Mapped(o => o.DataRoot = copyRoot));
        reopened.State.Should().Be(PartitionState.Open, "pages lost after the durable data are a torn tail, not damage: {0}", reopened.FaultReason);
        reopened.NextId.Should().Be(keptBeforeHole, "every record that ends before the lost pages is kept, none after them");
        reopened.GetInfo().Segments.Should().NotContain(static s => s.Status == SegmentStatus.Quarantined);
        var all = await ReadAllAsync(reopened);
        all.Select(static r => r.Id).Should().Equal(Enumerable.Range(0, keptBeforeHole).Select(static i => (long)i));
        all.Where(static r => !r.Payload.Span.SequenceEqual(Payload(r.Id, Size))).Select(static r => r.Id).Should().BeEmpty();
    }

    [LinuxFact(LinuxOnly)]
    public async Task Rollover_UnmapsTheSealedSegment_AndMapsTheNextOne()
    {
        var options = Mapped(o => o.MaxSegmentBytes = 1024 * 1024);
        await using var log = await OpenAsync(options);
        var id = 0L;
        while (log.GetInfo().Segments.Count(static s => s.Status == SegmentStatus.Sealed) < 3)
        {
            (await log.AppendAsync(Payload(id, Size))).FirstId.Should().Be(id);
            id++;
        }

        // Fill the new active segment past a quarter (where appends start to go through its mapping).
        for (var i = 0; i < 3_000; i++, id++)
        {
            await log.AppendAsync(Payload(id, Size));
        }

        var info = log.GetInfo();
        foreach (var sealedSegment in info.Segments.Where(static s => s.Status == SegmentStatus.Sealed))
        {
            WritableMappings(SegmentPath(sealedSegment.BaseId)).Should().BeEmpty("segment {0} is sealed: no writable mapping is kept for it", sealedSegment.BaseId);
        }

        var active = info.Segments.Single(static s => s.Status == SegmentStatus.Active);
        WritableMappings(SegmentPath(active.BaseId)).Should().ContainSingle("the active segment is mapped once past a quarter of it");
        (await ReadAllAsync(log, includeUndurable: true)).Select(static r => r.Id).Should().Equal(Enumerable.Range(0, (int)id).Select(static i => (long)i));
        await log.CloseAsync(seal: true);
        AllWritableMappingsUnder(Temp.Path).Should().BeEmpty("a sealed and closed partition keeps no writable mapping");
    }

    [LinuxFact(LinuxOnly)]
    public async Task FileSystemWithoutMappings_AndWriteMode_WriteThroughTheFile()
    {
        // A file system whose files do not map (the fault-injecting one, like a platform without mappings) ...
        await using (var log = await OpenAsync(Mapped(), new FaultInjectingFileSystem()))
        {
            for (var i = 0; i < PastMapThreshold; i++)
            {
                await log.AppendAsync(Payload(i, Size));
            }

            WritableMappings(SegmentPath(0)).Should().BeEmpty("the file system offers no mapping: appends are written with pwrite");
        }

        // ... and the Write mode on the real file system.
        await using (var log = await OpenAsync(Mapped(o => o.ActiveSegmentWrite = ActiveSegmentWriteMode.Write)))
        {
            for (var i = PastMapThreshold; i < 2 * PastMapThreshold; i++)
            {
                (await log.AppendAsync(Payload(i, Size))).FirstId.Should().Be(i);
            }

            WritableMappings(SegmentPath(0)).Should().BeEmpty("ActiveSegmentWrite = Write never maps");
        }

        await using var reopened = await OpenAsync(Mapped());
        var all = await ReadAllAsync(reopened);
        all.Select(static r => r.Id).Should().Equal(Enumerable.Range(0, 2 * PastMapThreshold).Select(static i => (long)i));
        all.Where(static r => !r.Payload.Span.SequenceEqual(Payload(r.Id, Size))).Select(static r => r.Id).Should().BeEmpty("every record comes back with its bytes");
    }

    [LinuxFact(LinuxOnly)]
    public async Task SyncAppends_AreNotMapped()
    {
        await using var log = await OpenAsync(Mapped(o => o.FlushPolicy = FlushPolicy.Sync));
        var payload = Payload(0, 128 * 1024);
        for (var i = 0; i < 24; i++)
        {
            (await log.AppendAsync(payload)).IsDurable.Should().BeTrue();
        }

        WritableMappings(SegmentPath(0)).Should().BeEmpty("under Sync every fsync would write back whole huge pages: appends use pwrite");
    }

    [LinuxFact(LinuxOnly)]
    public async Task MappedAppend_AllocatesNothing()
    {
        await using var log = await OpenAsync(Mapped());
        var payload = new ReadOnlyMemory<byte>(Payload(0, Size));

        // Past the mapping threshold and into the second chunk of the offset index (8,192 records per chunk), which the
        // window below does not leave.
        for (var i = 0; i < PastMapThreshold; i++)
        {
            await log.AppendAsync(payload);
        }

        WritableMappings(SegmentPath(0)).Should().ContainSingle();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 4_000; i++)
        {
            // Completes synchronously (Async policy, no backpressure): awaiting it allocates nothing either.
            await log.AppendAsync(payload);
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0, "a non-Sync append stored through the mapping allocates nothing");
    }

    [Fact]
    public async Task UnknownActiveSegmentWrite_RejectedWithItsName()
    {
        var e = await FluentActions.Invoking(() => OpenAsync(Mapped(o => o.ActiveSegmentWrite = (ActiveSegmentWriteMode)7))).Should().ThrowAsync<InvalidLogOptionsException>();
        e.Which.OptionName.Should().Be("PartitionLogOptions.ActiveSegmentWrite");
        Directory.GetFileSystemEntries(Temp.Path).Should().BeEmpty("nothing was created");
    }

    private string SegmentPath(long baseId) => Path.Combine(Temp.Path, "orders", "0", "segments", baseId.ToString("D20", CultureInfo.InvariantCulture) + ".aofseg");

    /// <summary>The process's writable shared mappings of <paramref name="path"/> (lines of <c>/proc/self/maps</c>).</summary>
    private static List<string> WritableMappings(string path) =>
        [.. File.ReadAllLines("/proc/self/maps").Where(l => l.EndsWith(" " + path, StringComparison.Ordinal) && l.Split(' ')[1].StartsWith("rw", StringComparison.Ordinal))];

    private static List<string> AllWritableMappingsUnder(string folder) =>
        [.. File.ReadAllLines("/proc/self/maps").Where(l => l.Contains(" " + folder, StringComparison.Ordinal) && l.Split(' ')[1].StartsWith("rw", StringComparison.Ordinal))];

    /// <summary>The dirty kilobytes of the writable mapping of <paramref name="path"/> (<c>Shared_Dirty</c> + <c>Private_Dirty</c> in <c>/proc/self/smaps</c>).</summary>
    private static long DirtyKilobytes(string path)
    {
        long dirty = 0;
        var found = false;
        var inMapping = false;
        foreach (var line in File.ReadAllLines("/proc/self/smaps"))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 1 && fields[0].Contains('-', StringComparison.Ordinal) && !fields[0].EndsWith(':'))
            {
                // A mapping's header line: "start-end perms offset dev inode path".
                inMapping = line.EndsWith(" " + path, StringComparison.Ordinal) && fields[1].StartsWith("rw", StringComparison.Ordinal);
                found |= inMapping;
            }
            else if (inMapping && fields[0] is "Shared_Dirty:" or "Private_Dirty:")
            {
                dirty += long.Parse(fields[1], CultureInfo.InvariantCulture);
            }
        }

        found.Should().BeTrue("the segment {0} must be mapped for writing", path);
        return dirty;
    }
}
