namespace OrleansAof.Storage.Format;

/// <summary>
/// Constants of the segment file format, version 1. The normative description is docs/format.md.
/// </summary>
/// <remarks>
/// <code>
/// Segment file (little-endian, every frame starts at a multiple of 8):
///   SegmentHeader      64 B
///   ( [ProducerStamp] Record+ | FlushCheckpoint )*
///   SegmentMetadata    64 B              written at seal
///   ProducerTable      16 + 32 * p B     written at seal
///   BinaryIndex        16 + 16 * n B     written at seal
///   SegmentFooter      96 B              written at seal, the last 96 bytes of a sealed file
///
/// Record = RecordHeader (32 B) + payload + zero padding to a multiple of 8 + RecordTrailer (16 B)
/// </code>
/// Every checksum is CRC-32C (<see cref="Crc32C"/>). Timestamps are microseconds since the Unix epoch (UTC).
/// </remarks>
public static class SegmentFormat
{
    /// <summary>The format version written by this build and the only one it reads.</summary>
    public const ushort Version = 1;

    /// <summary>Alignment of every frame in a segment file.</summary>
    public const int Alignment = 8;

    /// <summary>Magic of <see cref="SegmentHeader"/>: "AOFS".</summary>
    public const uint SegmentHeaderMagic = 0x53464F41;

    /// <summary>Magic of <see cref="RecordHeader"/>: "AOFR".</summary>
    public const uint RecordMagic = 0x52464F41;

    /// <summary>Magic of <see cref="FlushCheckpoint"/>: "AOFC".</summary>
    public const uint CheckpointMagic = 0x43464F41;

    /// <summary>Magic of <see cref="ProducerStampFrame"/>: "AOFB".</summary>
    public const uint ProducerStampMagic = 0x42464F41;

    /// <summary>Magic of <see cref="ProducerTable"/>: "AOFP".</summary>
    public const uint ProducerTableMagic = 0x50464F41;

    /// <summary>Magic of <see cref="SegmentMetadata"/>: "AOFM".</summary>
    public const uint MetadataMagic = 0x4D464F41;

    /// <summary>Magic of <see cref="BinaryIndexHeader"/>: "AOFI".</summary>
    public const uint IndexMagic = 0x49464F41;

    /// <summary>Magic of <see cref="SegmentFooter"/>: "AOFF".</summary>
    public const uint FooterMagic = 0x46464F41;

    /// <summary>Closing magic in the last four bytes of <see cref="SegmentFooter"/>: "FOOT".</summary>
    public const uint FooterEndMagic = 0x544F4F46;

    /// <summary>Bytes of framing around each record payload, excluding padding.</summary>
    public const int RecordOverhead = RecordHeader.Size + RecordTrailer.Size;

    /// <summary>Rounds <paramref name="value"/> up to a multiple of <see cref="Alignment"/>.</summary>
    public static long Align(long value) => (value + (Alignment - 1)) & ~(long)(Alignment - 1);

    /// <summary>Rounds <paramref name="value"/> up to a multiple of <see cref="Alignment"/>.</summary>
    public static int Align(int value) => (value + (Alignment - 1)) & ~(Alignment - 1);

    /// <summary>The size on disk of a record with a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static int RecordFrameSize(int payloadLength) => RecordHeader.Size + Align(payloadLength) + RecordTrailer.Size;

    /// <summary>The size of the frame with <paramref name="magic"/> when it is a frame readers step over (checkpoint, producer stamp); otherwise 0.</summary>
    public static int NonRecordFrameSize(uint magic) => magic switch
    {
        CheckpointMagic => FlushCheckpoint.Size,
        ProducerStampMagic => ProducerStampFrame.Size,
        _ => 0,
    };

    /// <summary>Microseconds since the Unix epoch of <paramref name="time"/>.</summary>
    public static long ToUnixMicroseconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <summary>The instant <paramref name="unixMicroseconds"/> microseconds after the Unix epoch.</summary>
    public static DateTimeOffset FromUnixMicroseconds(long unixMicroseconds) => DateTimeOffset.UnixEpoch.AddTicks(unixMicroseconds * 10);

    /// <summary>A stable 64-bit hash (FNV-1a over UTF-8) of a partition's full name, stamped into segment headers.</summary>
    public static ulong PartitionHash(string fullName)
    {
        ArgumentNullException.ThrowIfNull(fullName);
        var hash = 14695981039346656037UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(fullName))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }

        return hash;
    }
}
