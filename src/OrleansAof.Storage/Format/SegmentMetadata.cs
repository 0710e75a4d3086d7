using System.Buffers.Binary;

namespace OrleansAof.Storage.Format;

/// <summary>
/// The 64-byte summary written at seal.
/// <code>
///  0 u32 magic "AOFM"  4 u32 CRC-32C of bytes 8..63
///  8 i64 base id      16 i64 last id (base id - 1 if empty)   24 i64 record count
/// 32 i64 first record timestamp  40 i64 last record timestamp (µs; 0 if empty)
/// 48 i64 sealed at (µs)          56 u32 rolling checksum of all records   60 u32 reserved
/// </code>
/// </summary>
/// <param name="BaseId">First record id.</param>
/// <param name="LastId">Last record id (base id - 1 when empty).</param>
/// <param name="RecordCount">Number of records.</param>
/// <param name="FirstTimestampMicros">Timestamp of the first record.</param>
/// <param name="LastTimestampMicros">Timestamp of the last record.</param>
/// <param name="SealedAtMicros">When the segment was sealed.</param>
/// <param name="DataChecksum">Rolling checksum of every record.</param>
public readonly record struct SegmentMetadata(long BaseId, long LastId, long RecordCount, long FirstTimestampMicros, long LastTimestampMicros, long SealedAtMicros, uint DataChecksum)
{
    /// <summary>Size on disk.</summary>
    public const int Size = 64;

    /// <summary>Writes the metadata and its checksum into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        destination = destination[..Size];
        BinaryPrimitives.WriteUInt32LittleEndian(destination, SegmentFormat.MetadataMagic);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], BaseId);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], LastId);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], RecordCount);
        BinaryPrimitives.WriteInt64LittleEndian(destination[32..], FirstTimestampMicros);
        BinaryPrimitives.WriteInt64LittleEndian(destination[40..], LastTimestampMicros);
        BinaryPrimitives.WriteInt64LittleEndian(destination[48..], SealedAtMicros);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[56..], DataChecksum);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[60..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Crc32C.Compute(destination[8..Size]));
    }

    /// <summary>Reads and validates metadata.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out SegmentMetadata metadata)
    {
        metadata = default;
        if (source.Length < Size
            || BinaryPrimitives.ReadUInt32LittleEndian(source) != SegmentFormat.MetadataMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(source[4..]) != Crc32C.Compute(source[8..Size]))
        {
            return false;
        }

        metadata = new SegmentMetadata(
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[48..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[56..]));
        return true;
    }
}
