using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>The segment being written. Mutated only under the partition's write lock; read fields are published in order.</summary>
internal sealed class ActiveSegment(IStorageFile file, SegmentHeader header, DateTimeOffset createdAt)
{
    private const long MinGrowth = 64 * 1024;
    private const long MaxGrowth = 1024 * 1024;
    private const long Page = 4096;

    /// <summary>Pages populated ahead of the writes at a time (<see cref="IWritableFileMapping.TryPrepareWrite"/>).</summary>
    private const long PrepareStep = 64 * 1024;

    private bool _mapTried;
    private long _prepared;
    private long _released;

    public IStorageFile File { get; } = file;

    public SegmentHeader Header { get; } = header;

    public long BaseId => Header.BaseId;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public OffsetIndex Offsets { get; } = new();

    /// <summary>Where the next frame goes.</summary>
    public long WriteOffset { get; set; } = SegmentHeader.Size;

    /// <summary>Offset just past the last record (published before the partition's last id).</summary>
    public long LastRecordEnd;

    public long LastRecordStart { get; set; } = -1;

    public int Count => Offsets.Count;

    public long LastId => BaseId + Count - 1;

    public uint Rolling { get; set; }

    public long FirstTimestampMicros { get; set; }

    public long LastTimestampMicros { get; set; }

    /// <summary>Offset up to which write-back was started early (non-Sync policies).</summary>
    public long WriteBackStarted { get; set; } = SegmentHeader.Size;

    /// <summary>Whether prepared for the next segment already.</summary>
    public bool PreallocationStarted { get; set; }

    /// <summary>
    /// The shared writable map appends are encoded into (<see cref="ActiveSegmentWriteMode.Mapped"/>), or null: they are
    /// written through <see cref="File"/>. Read, set and released only under the partition's write lock, where every write
    /// to the segment happens, so nothing can store into it after it was unmapped.
    /// </summary>
    public IWritableFileMapping? Mapping { get; private set; }

    /// <summary>Maps the file the first time it is called (under the write lock); later calls return what is mapped then (null after a failure or a release).</summary>
    public IWritableFileMapping? MapForWriting(long capacity)
    {
        if (!_mapTried)
        {
            _mapTried = true;
            try
            {
                Mapping = File.TryMapWritable(capacity);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // Not mapped: appends are written through the file, which reports a real problem itself.
            }
        }

        return Mapping;
    }

    /// <summary>
    /// Makes the bytes before <paramref name="end"/> writable through <see cref="Mapping"/>, growing the file ahead in steps
    /// (its length, at least 64 KiB and at most 1 MiB, so that a small partition stays small and a large one grows the file
    /// rarely). When the file cannot grow (no space, past the mapped capacity) the mapping is released and the rest of the
    /// segment is written through <see cref="File"/>, which reports a real problem as an I/O error. Under the write lock.
    /// </summary>
    public bool TryReserveMapped(long start, long end)
    {
        if (Mapping is not { } mapping)
        {
            return false;
        }

        var length = mapping.Length;
        if (end > length)
        {
            var exact = Math.Min(mapping.Capacity, RoundUpToPage(end));
            var ahead = Math.Min(mapping.Capacity, RoundUpToPage(Math.Max(end, length + Math.Clamp(length, MinGrowth, MaxGrowth))));
            if (end > exact || !(mapping.TryGrow(ahead) || mapping.TryGrow(exact)))
            {
                DetachMapping()?.Dispose();
                return false;
            }
        }

        if (end > _prepared)
        {
            // Populate the pages ahead in one call rather than one fault per page (a fault is a trap into the kernel, and
            // a costly one in a virtual machine); a page that cannot be brought in sends this segment's writes to the file.
            var from = Math.Max(_prepared, start & ~(Page - 1));
            var to = Math.Min(mapping.Length, RoundUpToPage(Math.Max(end, from + Math.Max(PrepareStep, mapping.PageSize))));
            if (!mapping.TryPrepareWrite(from, to - from))
            {
                DetachMapping()?.Dispose();
                return false;
            }

            _prepared = to;
        }

        return true;
    }

    /// <summary>
    /// Drops the whole pages before <see cref="WriteOffset"/> that appends stored into from the process's page tables (see
    /// <see cref="IWritableFileMapping.Release"/>): before a flush or a write-back hint writes them, so that the write-back
    /// does not write-protect them one by one. Under the write lock.
    /// </summary>
    public void ReleaseWrittenPages()
    {
        if (Mapping is not { } mapping)
        {
            return;
        }

        var to = WriteOffset & ~(mapping.PageSize - 1);
        if (to > _released)
        {
            mapping.Release(_released, to - _released);
            _released = to;
        }
    }

    /// <summary>
    /// Takes the mapping away so that nothing stores through it any more and this segment never maps again (a seal, a
    /// close). Under the write lock; the caller disposes the result after leaving it (unmapping keeps the dirty pages in the
    /// page cache: the seal's or the next flush's fsync writes them).
    /// </summary>
    public IWritableFileMapping? DetachMapping()
    {
        _mapTried = true;
        var mapping = Mapping;
        Mapping = null;
        return mapping;
    }

    public long RecordEnd(int index) => index + 1 < Offsets.Count ? Offsets[index + 1] : Volatile.Read(ref LastRecordEnd);

    private static long RoundUpToPage(long value) => (value + Page - 1) & ~(Page - 1);
}
