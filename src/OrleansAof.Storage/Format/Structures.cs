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

/// <summary>Flags of a record header.</summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Named after the on-disk header field it describes.")]
public enum RecordFlags : ushort
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>
    /// The record was acknowledged as soon as it was written to the operating system (every flush policy but
    /// <c>Sync</c>). Recovery keeps such a record when it is intact even if no checkpoint covers it; a record
    /// without the flag was acknowledged only once a checkpoint covered it, so an uncovered one is discarded.
    /// </summary>
    AcknowledgedOnWrite = 1,

    /// <summary>More records of the same append batch follow. Recovery never keeps part of a batch that no checkpoint covers.</summary>
    BatchContinues = 2,
}

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

/// <summary>The rolling checksum of a segment: CRC-32C chained over each record's checksum, in id order.</summary>
public static class RollingChecksum
{
    /// <summary>The rolling checksum of a segment with no records.</summary>
    public const uint Empty = 0;

    /// <summary>Extends <paramref name="rolling"/> with the checksum of the next record.</summary>
    public static uint Next(uint rolling, uint recordChecksum) => Crc32C.AppendUInt32(rolling, recordChecksum);
}

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

/// <summary>The last idempotent batch of one producer.</summary>
/// <param name="ProducerId">The producer.</param>
/// <param name="Sequence">Sequence number of its last batch.</param>
/// <param name="FirstId">First id of that batch.</param>
/// <param name="LastId">Last id of that batch.</param>
public readonly record struct ProducerEntry(long ProducerId, long Sequence, long FirstId, long LastId);

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
