using System.Buffers.Binary;

namespace OrleansAof.Storage.Format;

/// <summary>
/// The last 96 bytes of a sealed segment; the last write of a seal.
/// <code>
///  0 u32 magic "AOFF"            4 u32 CRC-32C of bytes 8..95
///  8 i64 data end offset        16 i64 metadata offset
/// 24 i64 producer table offset  32 i64 producer table length
/// 40 i64 index offset           48 i64 index length
/// 56 u32 metadata checksum      60 u32 producer table checksum   64 u32 index checksum
/// 68 u16 format version         70 u16 flags (0)                 72 i64 base id
/// 80 .. 91 reserved (zero)      92 u32 end magic "FOOT"
/// </code>
/// </summary>
/// <param name="DataEnd">Offset just past the last record or checkpoint.</param>
/// <param name="MetadataOffset">Offset of <see cref="SegmentMetadata"/> (equal to <paramref name="DataEnd"/>).</param>
/// <param name="ProducerTableOffset">Offset of the producer table.</param>
/// <param name="ProducerTableLength">Length in bytes of the producer table.</param>
/// <param name="IndexOffset">Offset of the binary index.</param>
/// <param name="IndexLength">Length in bytes of the binary index.</param>
/// <param name="MetadataChecksum">Checksum field of the metadata.</param>
/// <param name="ProducerTableChecksum">Checksum field of the producer table.</param>
/// <param name="IndexChecksum">Checksum field of the index.</param>
/// <param name="BaseId">Base id of the segment.</param>
/// <param name="FormatVersion">Format version.</param>
public readonly record struct SegmentFooter(
    long DataEnd,
    long MetadataOffset,
    long ProducerTableOffset,
    long ProducerTableLength,
    long IndexOffset,
    long IndexLength,
    uint MetadataChecksum,
    uint ProducerTableChecksum,
    uint IndexChecksum,
    long BaseId,
    ushort FormatVersion)
{
    /// <summary>Size on disk.</summary>
    public const int Size = 96;

    /// <summary>Writes the footer and its checksum into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        destination = destination[..Size];
        destination.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, SegmentFormat.FooterMagic);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], DataEnd);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], MetadataOffset);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], ProducerTableOffset);
        BinaryPrimitives.WriteInt64LittleEndian(destination[32..], ProducerTableLength);
        BinaryPrimitives.WriteInt64LittleEndian(destination[40..], IndexOffset);
        BinaryPrimitives.WriteInt64LittleEndian(destination[48..], IndexLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[56..], MetadataChecksum);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[60..], ProducerTableChecksum);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[64..], IndexChecksum);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[68..], FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(destination[72..], BaseId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[92..], SegmentFormat.FooterEndMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Crc32C.Compute(destination[8..Size]));
    }

    /// <summary>Reads and validates a footer (the last <see cref="Size"/> bytes of a file of <paramref name="fileLength"/> bytes).</summary>
    public static string? TryRead(ReadOnlySpan<byte> source, long fileLength, out SegmentFooter footer)
    {
        footer = default;
        if (source.Length < Size)
        {
            return "footer is truncated";
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(source) != SegmentFormat.FooterMagic || BinaryPrimitives.ReadUInt32LittleEndian(source[92..]) != SegmentFormat.FooterEndMagic)
        {
            return "no footer";
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(source[4..]) != Crc32C.Compute(source[8..Size]))
        {
            return "footer checksum mismatch";
        }

        footer = new SegmentFooter(
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[48..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[56..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[60..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[64..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[72..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[68..]));
        if (footer.FormatVersion != SegmentFormat.Version)
        {
            return $"unsupported footer format version {footer.FormatVersion}";
        }

        var layoutOk = footer.DataEnd >= SegmentHeader.Size
            && footer.MetadataOffset == footer.DataEnd
            && footer.ProducerTableOffset == footer.MetadataOffset + SegmentMetadata.Size
            && footer.ProducerTableLength >= ProducerTable.HeaderSize
            && footer.IndexOffset == footer.ProducerTableOffset + footer.ProducerTableLength
            && footer.IndexLength >= BinaryIndexHeader.Size
            && footer.IndexOffset + footer.IndexLength + Size == fileLength;
        return layoutOk ? null : "footer offsets do not match the file";
    }
}
