using System.Buffers;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// A sealed segment file mapped into memory, handed out as <see cref="ReadOnlyMemory{T}"/> slices without copying.
/// Owned by its <see cref="SealedSegment"/>, which unmaps it only when no lease is held (so never under a running
/// read or scan). A slice kept past that point fails with <see cref="ObjectDisposedException"/> when its span is taken.
/// </summary>
internal sealed unsafe class MappedSegment : MemoryManager<byte>
{
    private readonly IReadOnlyFileMapping _mapping;
    private readonly byte* _address;
    private readonly int _length;
    private volatile bool _released;

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
