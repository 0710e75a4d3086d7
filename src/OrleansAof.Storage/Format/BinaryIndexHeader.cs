using System.Buffers.Binary;

namespace OrleansAof.Storage.Format;

/// <summary>
/// The binary index written at seal: a 16-byte header followed by one (id, offset) entry per record, sorted by id.
/// <code>
///  0 u32 magic "AOFI"   4 u32 CRC-32C of bytes 8..end   8 i64 entry count
/// 16 entries: i64 record id, i64 file offset of the record header
/// </code>
/// Ids are dense, so the entry of id <c>x</c> is entry <c>x - base id</c>.
/// </summary>
public static class BinaryIndexHeader
{
    /// <summary>Size of the index header.</summary>
    public const int Size = 16;

    /// <summary>Size of one entry.</summary>
    public const int EntrySize = 16;

    /// <summary>Total size of an index with <paramref name="count"/> entries.</summary>
    public static long TotalSize(long count) => Size + (count * EntrySize);

    /// <summary>Writes an entry.</summary>
    public static void WriteEntry(Span<byte> destination, long id, long offset)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, id);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], offset);
    }

    /// <summary>Reads an entry.</summary>
    public static (long Id, long Offset) ReadEntry(ReadOnlySpan<byte> source) =>
        (BinaryPrimitives.ReadInt64LittleEndian(source), BinaryPrimitives.ReadInt64LittleEndian(source[8..]));

    /// <summary>Writes the header of an index whose entries (already in <paramref name="index"/> after the header) are final.</summary>
    public static uint Complete(Span<byte> index, long count)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(index, SegmentFormat.IndexMagic);
        BinaryPrimitives.WriteInt64LittleEndian(index[8..], count);
        var crc = Crc32C.Compute(index[8..(int)TotalSize(count)]);
        BinaryPrimitives.WriteUInt32LittleEndian(index[4..], crc);
        return crc;
    }

    /// <summary>Validates a whole index block; returns the entry count or -1.</summary>
    public static long Validate(ReadOnlySpan<byte> index)
    {
        if (index.Length < Size || BinaryPrimitives.ReadUInt32LittleEndian(index) != SegmentFormat.IndexMagic)
        {
            return -1;
        }

        var count = BinaryPrimitives.ReadInt64LittleEndian(index[8..]);
        if (count < 0 || TotalSize(count) != index.Length)
        {
            return -1;
        }

        return BinaryPrimitives.ReadUInt32LittleEndian(index[4..]) == Crc32C.Compute(index[8..]) ? count : -1;
    }
}
