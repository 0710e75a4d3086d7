using System.Buffers;
using System.Buffers.Binary;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// Reading record frames out of one segment file (active, sealed or fetched from the archive): the byte range that fits a
/// budget, parsing and verifying a record, binary search by timestamp. Stateless; shared by the partition's reader and by
/// <see cref="Archive.ArchiveReader"/>.
/// </summary>
internal static class SegmentReads
{
    /// <summary>Where the records of one segment are: the file offset of record <c>index</c> and where it ends.</summary>
    internal interface IOffsets
    {
        long BaseId { get; }

        long At(int index);

        long End(int index);
    }

    internal static void ValidateLimits(long fromId, int maxRecords, long maxBytes)
    {
        if (fromId < 0)
        {
            throw new InvalidRangeException($"Ids are not negative; {fromId} was given.");
        }

        if (maxRecords < 1 || maxBytes < 1)
        {
            throw new InvalidRangeException($"maxRecords and maxBytes must be positive; {maxRecords} and {maxBytes} were given.");
        }
    }

    /// <summary>Reads from a sealed segment: straight out of its mapping (one copy, into the batch) when it is mapped and the range prepares.</summary>
    internal static long ReadFrames(SealedSegment.Lease lease, long baseId, long fromId, long toId, RecordBatchBuilder builder, long maxBytes, string path)
    {
        var offsets = new SealedOffsets(baseId, lease);
        if (lease.Map is { } map)
        {
            var (start, length, j) = FramesToRead(offsets, fromId, toId, maxBytes);
            if (map.TryPrepareRead(start, length))
            {
                return builder.AddFrames(map.Bytes.Slice((int)start, length), start, fromId, baseId + j, path, baseId);
            }
        }

        return ReadFrames(lease.File, offsets, fromId, toId, builder, maxBytes, path);
    }

    internal static long ReadFrames<TOffsets>(IStorageFile file, TOffsets offsets, long fromId, long toId, RecordBatchBuilder builder, long maxBytes, string path)
        where TOffsets : IOffsets
    {
        var (start, length, j) = FramesToRead(offsets, fromId, toId, maxBytes);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            file.ReadExactly(start, buffer.AsSpan(0, length));
            return builder.AddFrames(buffer.AsSpan(0, length), start, fromId, offsets.BaseId + j, path, offsets.BaseId);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Iterates records <paramref name="fromId"/>..<paramref name="toId"/> of a file through <paramref name="buffer"/>, verifying each.</summary>
    internal static IEnumerable<LogRecord> ScanSegment<TOffsets>(IStorageFile file, TOffsets offsets, long fromId, long toId, byte[] buffer, string path)
        where TOffsets : IOffsets
    {
        var id = fromId;
        while (id <= toId)
        {
            var first = (int)(id - offsets.BaseId);
            var lastIndex = (int)(toId - offsets.BaseId);
            var start = offsets.At(first);
            var j = LastFitting(offsets, first, lastIndex, buffer.Length);
            var end = offsets.End(j);
            var length = (int)(end - start);
            file.ReadExactly(start, buffer.AsSpan(0, length));
            var pos = 0;
            var lastId = offsets.BaseId + j;
            while (id <= lastId)
            {
                var record = ParseRecord(buffer.AsSpan(0, length), pos, id, path, offsets.BaseId, start);
                yield return new LogRecord(id, record.TimestampMicros, new ReadOnlyMemory<byte>(buffer, record.PayloadOffset, record.PayloadLength));
                pos = record.Next;
                id++;
            }
        }
    }

    /// <summary>
    /// Parses the record <paramref name="expected"/> at <paramref name="pos"/> of <paramref name="data"/> (after any
    /// checkpoints) and verifies its checksum; returns its timestamp, where its payload is and where the next frame starts.
    /// <paramref name="fileOffset"/> is the file offset of <paramref name="data"/>, for messages.
    /// </summary>
    internal static ParsedRecord ParseRecord(ReadOnlySpan<byte> data, int pos, long expected, string path, long baseId, long fileOffset)
    {
        while (pos + 4 <= data.Length && SegmentFormat.NonRecordFrameSize(BinaryPrimitives.ReadUInt32LittleEndian(data[pos..])) is var skip and > 0)
        {
            pos += skip;
        }

        if (pos + RecordHeader.Size > data.Length || !RecordHeader.TryRead(data[pos..], out var header) || header.Id != expected
            || header.PayloadLength < 0 || pos + (long)SegmentFormat.RecordFrameSize(header.PayloadLength) > data.Length)
        {
            throw new SegmentCorruptedException(path, baseId, $"no valid record {expected} at offset {fileOffset + pos}");
        }

        var payload = data.Slice(pos + RecordHeader.Size, header.PayloadLength);
        if (RecordHeader.ComputeChecksum(Crc32C.Compute(payload), data[pos..]) != header.Checksum)
        {
            throw new SegmentCorruptedException(path, baseId, $"record {expected} fails its checksum");
        }

        return new ParsedRecord(header.TimestampMicros, pos + RecordHeader.Size, header.PayloadLength, pos + SegmentFormat.RecordFrameSize(header.PayloadLength));
    }

    /// <summary>The index of the last record from <paramref name="first"/> whose frames fit in <paramref name="budget"/> bytes (at least <paramref name="first"/>).</summary>
    internal static int LastFitting<TOffsets>(TOffsets offsets, int first, int last, long budget)
        where TOffsets : IOffsets
    {
        var start = offsets.At(first);
        if (offsets.End(last) - start <= budget)
        {
            return last;
        }

        int lo = first, hi = last;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo + 1) / 2);
            if (offsets.End(mid) - start <= budget)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    /// <summary>The first id in <paramref name="lo"/>..<paramref name="hi"/> whose timestamp is at or after <paramref name="micros"/> (<paramref name="hi"/> when none before it is).</summary>
    internal static long SearchTimestamp<TOffsets>(IStorageFile file, TOffsets offsets, long lo, long hi, long micros)
        where TOffsets : IOffsets
    {
        Span<byte> header = stackalloc byte[RecordHeader.Size];
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            file.ReadExactly(offsets.At((int)(mid - offsets.BaseId)), header);
            RecordHeader.TryRead(header, out var h);
            if (h.TimestampMicros >= micros)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }

    /// <summary>The byte range to read for <paramref name="fromId"/>.. at most <paramref name="toId"/> within the byte budget, and the index of its last record.</summary>
    private static (long Start, int Length, int LastIndex) FramesToRead<TOffsets>(TOffsets offsets, long fromId, long toId, long maxBytes)
        where TOffsets : IOffsets
    {
        var first = (int)(fromId - offsets.BaseId);
        var last = (int)(toId - offsets.BaseId);
        var budget = maxBytes == long.MaxValue ? long.MaxValue : maxBytes + ((long)(last - first + 1) * SegmentFormat.RecordOverhead) + 4096;
        var j = LastFitting(offsets, first, last, Math.Min(budget, int.MaxValue / 2));
        var start = offsets.At(first);
        return (start, (int)(offsets.End(j) - start), j);
    }

    internal readonly record struct ParsedRecord(long TimestampMicros, int PayloadOffset, int PayloadLength, int Next);

    /// <summary>Record offsets of the active segment (its in-memory index).</summary>
    internal readonly struct ActiveOffsets(ActiveSegment segment) : IOffsets
    {
        public long BaseId => segment.BaseId;

        public long At(int index) => segment.Offsets[index];

        public long End(int index) => segment.RecordEnd(index);
    }

    /// <summary>Record offsets of a sealed segment (its index, loaded with the lease).</summary>
    internal readonly struct SealedOffsets(long baseId, SealedSegment.Lease lease) : IOffsets
    {
        public long BaseId => baseId;

        public long At(int index) => lease.Offsets[index];

        public long End(int index) => lease.RecordEnd(index);
    }
}
