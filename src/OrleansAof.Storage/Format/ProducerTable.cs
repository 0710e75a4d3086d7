using System.Buffers.Binary;

namespace OrleansAof.Storage.Format;

/// <summary>
/// The producer table written at seal: the last batch of every producer known at that point, so that idempotence
/// survives a restart without scanning old segments.
/// <code>
///  0 u32 magic "AOFP"   4 u32 CRC-32C of bytes 8..end   8 i64 entry count
/// 16 entries: i64 producer id, i64 sequence, i64 first id, i64 last id
/// </code>
/// </summary>
public static class ProducerTable
{
    /// <summary>Size of the table header.</summary>
    public const int HeaderSize = 16;

    /// <summary>Size of one entry.</summary>
    public const int EntrySize = 32;

    /// <summary>Total size of a table with <paramref name="count"/> entries.</summary>
    public static long TotalSize(long count) => HeaderSize + (count * EntrySize);

    /// <summary>Writes a table into <paramref name="destination"/>; returns its checksum.</summary>
    public static uint Write(Span<byte> destination, IReadOnlyCollection<ProducerEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var span = destination[..(int)TotalSize(entries.Count)];
        BinaryPrimitives.WriteUInt32LittleEndian(span, SegmentFormat.ProducerTableMagic);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], entries.Count);
        var pos = HeaderSize;
        foreach (var e in entries)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[pos..], e.ProducerId);
            BinaryPrimitives.WriteInt64LittleEndian(span[(pos + 8)..], e.Sequence);
            BinaryPrimitives.WriteInt64LittleEndian(span[(pos + 16)..], e.FirstId);
            BinaryPrimitives.WriteInt64LittleEndian(span[(pos + 24)..], e.LastId);
            pos += EntrySize;
        }

        var crc = Crc32C.Compute(span[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], crc);
        return crc;
    }

    /// <summary>Reads and validates a whole table; returns null when it is damaged.</summary>
    public static List<ProducerEntry>? Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(source) != SegmentFormat.ProducerTableMagic)
        {
            return null;
        }

        var count = BinaryPrimitives.ReadInt64LittleEndian(source[8..]);
        if (count < 0 || TotalSize(count) != source.Length || BinaryPrimitives.ReadUInt32LittleEndian(source[4..]) != Crc32C.Compute(source[8..]))
        {
            return null;
        }

        var entries = new List<ProducerEntry>((int)count);
        for (var pos = HeaderSize; pos < source.Length; pos += EntrySize)
        {
            entries.Add(new ProducerEntry(
                BinaryPrimitives.ReadInt64LittleEndian(source[pos..]),
                BinaryPrimitives.ReadInt64LittleEndian(source[(pos + 8)..]),
                BinaryPrimitives.ReadInt64LittleEndian(source[(pos + 16)..]),
                BinaryPrimitives.ReadInt64LittleEndian(source[(pos + 24)..])));
        }

        return entries;
    }
}
