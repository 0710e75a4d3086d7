using System.Buffers.Binary;

namespace OrleansAof.Storage.Format;

/// <summary>
/// The 32 bytes before a record's payload.
/// <code>
///  0 u32 magic "AOFR"   4 u32 CRC-32C of the payload followed by header bytes 8..31
///  8 i32 payload length 12 u16 flags  14 u16 record version (1)
/// 16 i64 record id      24 i64 timestamp (µs since epoch)
/// </code>
/// </summary>
/// <param name="Checksum">CRC-32C of the payload, continued over header bytes 8..31.</param>
/// <param name="PayloadLength">Payload length in bytes.</param>
/// <param name="Flags">Record flags.</param>
/// <param name="RecordVersion">Record layout version (1).</param>
/// <param name="Id">Record id.</param>
/// <param name="TimestampMicros">Append time, microseconds since the Unix epoch.</param>
public readonly record struct RecordHeader(uint Checksum, int PayloadLength, RecordFlags Flags, ushort RecordVersion, long Id, long TimestampMicros)
{
    /// <summary>Size on disk.</summary>
    public const int Size = 32;

    /// <summary>The record layout version written by this build.</summary>
    public const ushort CurrentRecordVersion = 1;

    /// <summary>Writes header bytes 8..31 (everything but the magic and checksum) into <paramref name="destination"/>.</summary>
    public static void WriteBody(Span<byte> destination, int payloadLength, RecordFlags flags, long id, long timestampMicros)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, SegmentFormat.RecordMagic);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], payloadLength);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[12..], (ushort)flags);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[14..], CurrentRecordVersion);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], id);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], timestampMicros);
    }

    /// <summary>Computes the record checksum from the payload checksum and header bytes 8..31 in <paramref name="header"/>.</summary>
    public static uint ComputeChecksum(uint payloadChecksum, ReadOnlySpan<byte> header) => Crc32C.Append(payloadChecksum, header[8..Size]);

    /// <summary>Reads a header without validating its checksum; returns <see langword="false"/> when the magic is wrong.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out RecordHeader header)
    {
        header = default;
        if (source.Length < Size || BinaryPrimitives.ReadUInt32LittleEndian(source) != SegmentFormat.RecordMagic)
        {
            return false;
        }

        header = new RecordHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[8..]),
            (RecordFlags)BinaryPrimitives.ReadUInt16LittleEndian(source[12..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[14..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]));
        return true;
    }
}
