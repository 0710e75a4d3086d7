using System.Buffers.Binary;

namespace OrleansAof.Storage.Format;

/// <summary>
/// A 48-byte frame written before each fsync: everything before <see cref="Offset"/> is durable once it is.
/// <code>
///  0 u32 magic "AOFC"   4 u32 CRC-32C of bytes 8..47
///  8 i64 offset of this checkpoint in the file (the end of the data it covers)
/// 16 i64 last record id covered (base id - 1 if none)   24 i64 records covered
/// 32 u32 rolling checksum of the records covered        36 u32 reserved
/// 40 i64 time written (µs since epoch)
/// </code>
/// </summary>
/// <param name="Offset">Offset of this checkpoint in its file.</param>
/// <param name="LastId">Last record id covered.</param>
/// <param name="RecordCount">Number of records covered.</param>
/// <param name="RollingChecksum">Chain of the record checksums covered (<see cref="RollingChecksum"/>).</param>
/// <param name="WrittenAtMicros">When the checkpoint was written, microseconds since the Unix epoch.</param>
public readonly record struct FlushCheckpoint(long Offset, long LastId, long RecordCount, uint RollingChecksum, long WrittenAtMicros)
{
    /// <summary>Size on disk.</summary>
    public const int Size = 48;

    /// <summary>Writes the checkpoint and its checksum into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        destination = destination[..Size];
        BinaryPrimitives.WriteUInt32LittleEndian(destination, SegmentFormat.CheckpointMagic);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], Offset);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], LastId);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], RecordCount);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[32..], RollingChecksum);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[36..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(destination[40..], WrittenAtMicros);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Crc32C.Compute(destination[8..Size]));
    }

    /// <summary>Reads and validates a checkpoint found at <paramref name="position"/>.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, long position, out FlushCheckpoint checkpoint)
    {
        checkpoint = default;
        if (source.Length < Size
            || BinaryPrimitives.ReadUInt32LittleEndian(source) != SegmentFormat.CheckpointMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(source[4..]) != Crc32C.Compute(source[8..Size]))
        {
            return false;
        }

        checkpoint = new FlushCheckpoint(
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[40..]));
        return checkpoint.Offset == position;
    }
}
