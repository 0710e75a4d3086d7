using System.Buffers.Binary;

namespace OrleansAof.Storage.Format;

/// <summary>
/// The 16 bytes after a record's padded payload; they let a reader walk a segment backwards.
/// <code>
///  0 u32 record checksum (mirror of the header's)   4 i32 payload length (mirror)
///  8 u32 distance from this record's start back to the previous record's start (0: first record)
/// 12 u32 CRC-32C of trailer bytes 0..11
/// </code>
/// </summary>
/// <param name="Checksum">Mirror of the record checksum.</param>
/// <param name="PayloadLength">Mirror of the payload length.</param>
/// <param name="PreviousDistance">Bytes from this record's start back to the previous record's start; 0 for the first record.</param>
public readonly record struct RecordTrailer(uint Checksum, int PayloadLength, uint PreviousDistance)
{
    /// <summary>Size on disk.</summary>
    public const int Size = 16;

    /// <summary>Writes the trailer and its checksum into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Checksum);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], PayloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], PreviousDistance);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], Crc32C.Compute(destination[..12]));
    }

    /// <summary>Reads and validates a trailer.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out RecordTrailer trailer)
    {
        trailer = default;
        if (source.Length < Size || BinaryPrimitives.ReadUInt32LittleEndian(source[12..]) != Crc32C.Compute(source[..12]))
        {
            return false;
        }

        trailer = new RecordTrailer(
            BinaryPrimitives.ReadUInt32LittleEndian(source),
            BinaryPrimitives.ReadInt32LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[8..]));
        return true;
    }
}
