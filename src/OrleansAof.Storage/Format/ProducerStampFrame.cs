using System.Buffers.Binary;

namespace OrleansAof.Storage.Format;

/// <summary>
/// A 32-byte frame written just before the records of an idempotent batch.
/// <code>
///  0 u32 magic "AOFB"  4 u32 CRC-32C of bytes 8..31
///  8 i64 producer id  16 i64 sequence number  24 i64 id of the batch's first record
/// </code>
/// </summary>
/// <param name="ProducerId">The producer.</param>
/// <param name="Sequence">The batch's sequence number.</param>
/// <param name="FirstId">Id of the first record of the batch that follows.</param>
public readonly record struct ProducerStampFrame(long ProducerId, long Sequence, long FirstId)
{
    /// <summary>Size on disk.</summary>
    public const int Size = 32;

    /// <summary>Writes the frame and its checksum into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        destination = destination[..Size];
        BinaryPrimitives.WriteUInt32LittleEndian(destination, SegmentFormat.ProducerStampMagic);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], ProducerId);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], FirstId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Crc32C.Compute(destination[8..Size]));
    }

    /// <summary>Reads and validates a frame.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out ProducerStampFrame frame)
    {
        frame = default;
        if (source.Length < Size
            || BinaryPrimitives.ReadUInt32LittleEndian(source) != SegmentFormat.ProducerStampMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(source[4..]) != Crc32C.Compute(source[8..Size]))
        {
            return false;
        }

        frame = new ProducerStampFrame(
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]));
        return true;
    }
}
