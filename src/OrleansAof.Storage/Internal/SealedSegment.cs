using System.Buffers;
using System.Buffers.Binary;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// A sealed segment: opened from its footer; its file and index are loaded on first read and released when the
/// reader cache evicts it (only once no read holds a lease).
/// </summary>
/// <remarks>
/// The file can change under a running process (someone truncates or overwrites it, or the device fails). Reads of it
/// report that as <see cref="SegmentCorruptedException"/>, never as a fault of the process: reads through the file turn a
/// short read (the file ends before the length its footer records) or an I/O error into that exception; the file is
/// mapped only after its length and footer are checked against what was opened; every lease checks the length again
/// (<c>fstat</c>) and leaves the map out once the file is shorter; and readers prepare each mapped range before they
/// touch it (<see cref="MappedSegment.TryPrepareRead"/>), reading through the file when that fails.
/// </remarks>
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
            _file = CheckedFile.Over(this, file);
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
                var file = CheckedFile.Over(this, fs.OpenFile(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
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
                _map = IsIntact(_file) ? MappedSegment.TryCreate(_file, FileSize) : null;
            }

            _closeWhenIdle = false;
            _leases++;
            return new Lease(this, _file, _offsets!, map && _map is { Failed: false } mapped && IsLongEnough(_file) ? mapped : null);
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

    /// <summary>Whether the file still has the length its footer records (one <c>fstat</c>).</summary>
    private bool IsLongEnough(IStorageFile file)
    {
        try
        {
            return file.Length >= FileSize;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Whether the file may be mapped: it has the length it was opened with and still ends with the same footer.</summary>
    private bool IsIntact(IStorageFile file)
    {
        if (!IsLongEnough(file))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[SegmentFooter.Size];
        try
        {
            file.ReadExactly(FileSize - SegmentFooter.Size, bytes);
        }
        catch (SegmentCorruptedException)
        {
            return false;
        }

        return SegmentFooter.TryRead(bytes, FileSize, out var footer) is null && footer == Footer;
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

    /// <summary>
    /// The segment's open file, as reads see it: a read that ends before the length the footer records (the file was
    /// truncated) or fails in the device is a <see cref="SegmentCorruptedException"/> of this segment, not an
    /// <see cref="EndOfStreamException"/> or <see cref="IOException"/>.
    /// </summary>
    private sealed class CheckedFile(SealedSegment owner, IStorageFile inner) : IStorageFile
    {
        /// <summary>The file; the segment owns it and closes it in <see cref="CloseCore"/>.</summary>
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "Returned as the interface so that the segment's field stays one; the segment closes it in CloseCore.")]
        public static IStorageFile Over(SealedSegment owner, IStorageFile inner) => new CheckedFile(owner, inner);

        public string Path => inner.Path;

        public long Length => inner.Length;

        public void SetLength(long length) => inner.SetLength(length);

        public int Read(long offset, Span<byte> buffer)
        {
            int n;
            try
            {
                n = inner.Read(offset, buffer);
            }
            catch (IOException e)
            {
                throw new SegmentCorruptedException(owner.Path, owner.BaseId, $"reading {buffer.Length} bytes at offset {offset} failed: {e.Message}");
            }

            if (n <= 0 && buffer.Length > 0 && offset < owner.FileSize)
            {
                throw new SegmentCorruptedException(owner.Path, owner.BaseId, $"the file ends at byte {CurrentLength(offset)}, before the {owner.FileSize} bytes its footer records (it was truncated)");
            }

            return n;
        }

        private long CurrentLength(long fallback)
        {
            try
            {
                return Math.Min(inner.Length, fallback);
            }
            catch (IOException)
            {
                return fallback;
            }
        }

        public void Write(long offset, ReadOnlySpan<byte> buffer) => inner.Write(offset, buffer);

        public void Flush(bool dataOnly) => inner.Flush(dataOnly);

        public void StartWriteBack(long offset, long length) => inner.StartWriteBack(offset, length);

        public IReadOnlyFileMapping? TryMapReadOnly(long length) => inner.TryMapReadOnly(length);

        public void Dispose() => inner.Dispose();
    }

    /// <summary>A read's hold on the open file.</summary>
    public readonly struct Lease(SealedSegment owner, IStorageFile file, long[] offsets, MappedSegment? map) : IDisposable
    {
        public IStorageFile File { get; } = file;

        /// <summary>
        /// The whole file mapped into memory, when it is and the file still had its full length when the lease was taken;
        /// valid while this lease is held. Prepare each range before touching it (<see cref="MappedSegment.TryPrepareRead"/>).
        /// </summary>
        public MappedSegment? Map { get; } = map;

        public long[] Offsets { get; } = offsets;

        public long RecordEnd(int index) => index + 1 < Offsets.Length ? Offsets[index + 1] : owner.Footer.DataEnd;

        public void Dispose() => owner.Release();
    }
}
