using System.Buffers;
using System.Buffers.Binary;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>The segment being written. Mutated only under the partition's write lock; read fields are published in order.</summary>
internal sealed class ActiveSegment(IStorageFile file, SegmentHeader header, DateTimeOffset createdAt)
{
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

    public long RecordEnd(int index) => index + 1 < Offsets.Count ? Offsets[index + 1] : Volatile.Read(ref LastRecordEnd);
}

/// <summary>
/// A sealed segment: opened from its footer; its file and index are loaded on first read and released when the
/// reader cache evicts it (only once no read holds a lease).
/// </summary>
internal sealed class SealedSegment
{
    private readonly Lock _sync = new();
    private IStorageFile? _file;
    private MappedSegment? _map;
    private bool _mapTried;
    private long[]? _offsets;
    private int _leases;
    private bool _closeWhenIdle;

    public SealedSegment(string path, SegmentHeader header, SegmentFooter footer, SegmentMetadata metadata, long fileSize)
    {
        Path = path;
        Header = header;
        Footer = footer;
        Metadata = metadata;
        FileSize = fileSize;
    }

    public string Path { get; private set; }

    public SegmentHeader Header { get; }

    public SegmentFooter Footer { get; }

    public SegmentMetadata Metadata { get; }

    public long FileSize { get; }

    public long BaseId => Metadata.BaseId;

    public long LastId => Metadata.LastId;

    public long Count => Metadata.RecordCount;

    public bool IsOpen
    {
        get
        {
            lock (_sync)
            {
                return _file is not null;
            }
        }
    }

    /// <summary>Adopts an open file and its offsets (a segment that was just sealed by this writer).</summary>
    public void Adopt(IStorageFile file, long[] offsets)
    {
        lock (_sync)
        {
            _file = file;
            _offsets = offsets;
        }
    }

    /// <summary>Points the segment at another copy of the same file (for example one downloaded from the archive).</summary>
    public void Relocate(string path)
    {
        lock (_sync)
        {
            Path = path;
        }
    }

    /// <summary>
    /// Takes a read lease, opening the file and loading its index first when needed. With <paramref name="map"/> the file
    /// is also memory-mapped once (when the file system offers it); the mapping lives as long as the open file.
    /// </summary>
    public Lease Acquire(IFileSystem fs, bool map = true)
    {
        lock (_sync)
        {
            if (_file is null)
            {
                var file = fs.OpenFile(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                try
                {
                    _offsets = LoadIndex(file);
                    _file = file;
                }
                catch
                {
                    file.Dispose();
                    throw;
                }
            }

            if (map && !_mapTried)
            {
                _mapTried = true;
                _map = MappedSegment.TryCreate(_file, FileSize);
            }

            _closeWhenIdle = false;
            _leases++;
            return new Lease(this, _file, _offsets!, _map);
        }
    }

    /// <summary>Closes the file now, or when the last lease is released.</summary>
    public void Close()
    {
        lock (_sync)
        {
            if (_leases > 0)
            {
                _closeWhenIdle = true;
                return;
            }

            CloseCore();
        }
    }

    private void Release()
    {
        lock (_sync)
        {
            _leases--;
            if (_leases == 0 && _closeWhenIdle)
            {
                CloseCore();
            }
        }
    }

    private void CloseCore()
    {
        // Unmap before closing (and so before the file is deleted): Windows keeps a mapped file from being deleted.
        ((IDisposable?)_map)?.Dispose();
        _map = null;
        _mapTried = false;
        _file?.Dispose();
        _file = null;
        _offsets = null;
        _closeWhenIdle = false;
    }

    private long[] LoadIndex(IStorageFile file)
    {
        var length = (int)Footer.IndexLength;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var span = buffer.AsSpan(0, length);
            file.ReadExactly(Footer.IndexOffset, span);
            if (BinaryIndexHeader.Validate(span) != Count || BinaryPrimitives.ReadUInt32LittleEndian(span[4..]) != Footer.IndexChecksum)
            {
                throw new SegmentCorruptedException(Path, BaseId, "the binary index fails its checksum");
            }

            var offsets = new long[Count];
            for (var i = 0; i < offsets.Length; i++)
            {
                var (id, offset) = BinaryIndexHeader.ReadEntry(span[(BinaryIndexHeader.Size + (i * BinaryIndexHeader.EntrySize))..]);
                if (id != BaseId + i || offset < SegmentHeader.Size || offset >= Footer.DataEnd)
                {
                    throw new SegmentCorruptedException(Path, BaseId, $"index entry {i} is inconsistent");
                }

                offsets[i] = offset;
            }

            return offsets;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A read's hold on the open file.</summary>
    public readonly struct Lease(SealedSegment owner, IStorageFile file, long[] offsets, MappedSegment? map) : IDisposable
    {
        public IStorageFile File { get; } = file;

        /// <summary>The whole file mapped into memory, when it is; valid while this lease is held.</summary>
        public MappedSegment? Map { get; } = map;

        public long[] Offsets { get; } = offsets;

        public long RecordEnd(int index) => index + 1 < Offsets.Length ? Offsets[index + 1] : owner.Footer.DataEnd;

        public void Dispose() => owner.Release();
    }
}
