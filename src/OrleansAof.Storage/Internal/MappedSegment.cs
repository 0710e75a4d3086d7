using System.Buffers;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// A sealed segment file mapped into memory, handed out as <see cref="ReadOnlyMemory{T}"/> slices without copying.
/// Owned by its <see cref="SealedSegment"/>, which unmaps it only when no lease is held (so never under a running
/// read or scan). A slice kept past that point fails with <see cref="ObjectDisposedException"/> when its span is taken.
/// </summary>
/// <remarks>
/// A mapped page that the file no longer holds (truncated) or that the device cannot read stops the process when it is
/// touched (SIGBUS, which .NET makes a fatal access violation). So every range is prepared with
/// <see cref="TryPrepareRead"/> right before it is touched; when that fails the caller reads the range through the file
/// instead (a short read or an I/O error there is a typed <see cref="SegmentCorruptedException"/>), and the segment
/// hands this map to no later lease (<see cref="Failed"/>).
/// </remarks>
internal sealed unsafe class MappedSegment : MemoryManager<byte>
{
    private readonly IReadOnlyFileMapping _mapping;
    private readonly byte* _address;
    private readonly int _length;
    private volatile bool _released;
    private volatile bool _failed;

    private MappedSegment(IReadOnlyFileMapping mapping)
    {
        _mapping = mapping;
        _address = (byte*)mapping.Address;
        _length = (int)mapping.Length;
    }

    /// <summary>The mapped bytes, for the engine's own use while it holds a lease.</summary>
    public ReadOnlySpan<byte> Bytes => new(_address, _length);

    /// <summary>Maps <paramref name="length"/> bytes of <paramref name="file"/>, or returns null when the file system offers no mapping.</summary>
    public static MappedSegment? TryCreate(IStorageFile file, long length)
    {
        if (length <= 0 || length > int.MaxValue)
        {
            return null;
        }

        IReadOnlyFileMapping? mapping;
        try
        {
            mapping = file.TryMapReadOnly(length);
        }
        catch (IOException)
        {
            // Out of address space or map count, for example: the buffered path still works.
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        if (mapping is null)
        {
            return null;
        }

        if (mapping.Length != length)
        {
            mapping.Dispose();
            return null;
        }

        return new MappedSegment(mapping);
    }

    /// <summary>Bytes a scan prepares at a time: short enough that a prepared page is touched soon after, long enough that preparing costs little.</summary>
    public const int PrepareWindowBytes = 1024 * 1024;

    /// <summary>
    /// Whether a range of this map failed to prepare: the file changed or the device failed, so later leases read through
    /// the file (the reads that hold the map may still prepare other ranges of it).
    /// </summary>
    public bool Failed => _failed;

    /// <summary>
    /// Whether <paramref name="length"/> bytes at <paramref name="offset"/> can be touched now without a fault of the process
    /// (see <see cref="IReadOnlyFileMapping.TryPrepareRead"/>). On <see langword="false"/> the caller reads them through the file.
    /// </summary>
    public bool TryPrepareRead(long offset, long length)
    {
        if (_released)
        {
            return false;
        }

        if (offset >= 0 && length >= 0 && offset <= _length - length && _mapping.TryPrepareRead(offset, length))
        {
            return true;
        }

        _failed = true;
        return false;
    }

    /// <summary>A slice for the caller; no copy.</summary>
    public ReadOnlyMemory<byte> Slice(int start, int length) => CreateMemory(start, length);

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_released, this);
        return new Span<byte>(_address, _length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_released, this);
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
        return new MemoryHandle(_address + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (!_released)
        {
            _released = true;
            _mapping.Dispose();
        }
    }
}
