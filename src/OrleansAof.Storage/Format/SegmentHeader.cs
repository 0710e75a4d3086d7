using System.Buffers.Binary;

namespace OrleansAof.Storage.Format;

/// <summary>
/// The first 64 bytes of every segment file.
/// <code>
///  0 u32 magic "AOFS"        4 u16 format version    6 u16 flags
///  8 u64 partition hash     16 i64 base id           24 i64 created at (µs since epoch)
/// 32 i64 writer epoch       40 .. 59 reserved (zero)  60 u32 CRC-32C of bytes 0..59
/// </code>
/// </summary>
/// <param name="FormatVersion">Format version of the file.</param>
/// <param name="Flags">Reserved flags (zero).</param>
/// <param name="PartitionHash">Hash of the owning partition's name (<see cref="SegmentFormat.PartitionHash"/>).</param>
/// <param name="BaseId">Id of the first record the segment holds (or would hold).</param>
/// <param name="CreatedAtMicros">Creation time, microseconds since the Unix epoch.</param>
/// <param name="WriterEpoch">Writer epoch of the process that created the segment.</param>
public readonly record struct SegmentHeader(ushort FormatVersion, ushort Flags, ulong PartitionHash, long BaseId, long CreatedAtMicros, long WriterEpoch)
{
    /// <summary>Size on disk.</summary>
    public const int Size = 64;

    /// <summary>Writes the header and its checksum into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        destination = destination[..Size];
        destination.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, SegmentFormat.SegmentHeaderMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], PartitionHash);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], BaseId);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], CreatedAtMicros);
        BinaryPrimitives.WriteInt64LittleEndian(destination[32..], WriterEpoch);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[60..], Crc32C.Compute(destination[..60]));
    }

    /// <summary>Reads and validates a header; returns why it is invalid, or <see langword="null"/>.</summary>
    public static string? TryRead(ReadOnlySpan<byte> source, out SegmentHeader header)
    {
        header = default;
        if (source.Length < Size)
        {
            return "segment header is truncated";
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(source) != SegmentFormat.SegmentHeaderMagic)
        {
            return "segment header magic is wrong";
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(source[60..]) != Crc32C.Compute(source[..60]))
        {
            return "segment header checksum mismatch";
        }

        header = new SegmentHeader(
            BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[6..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[32..]));
        return header.FormatVersion != SegmentFormat.Version ? $"unsupported segment format version {header.FormatVersion}" : null;
    }
}
