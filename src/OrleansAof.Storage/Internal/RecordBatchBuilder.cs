using System.Buffers;
using System.Buffers.Binary;
using OrleansAof.Storage.Format;

namespace OrleansAof.Storage.Internal;

/// <summary>Collects records for a <see cref="RecordBatch"/> within a record and byte budget.</summary>
internal sealed class RecordBatchBuilder(int maxRecords, long maxBytes) : IDisposable
{
    private RecordEntry[] _entries = new RecordEntry[Math.Min(maxRecords, 256)];
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    private int _count;
    private int _bytes;

    public int Count => _count;

    /// <summary>Drops every record after the first <paramref name="count"/> (a read that failed part-way is retried elsewhere).</summary>
    public void TruncateTo(int count)
    {
        var bytes = 0;
        if (count > 0)
        {
            var last = _entries[count - 1];
            bytes = last.Offset + last.Length;
        }

        _count = count;
        _bytes = bytes;
    }

    public bool IsFull => _count >= maxRecords;

    /// <summary>Whether a payload of <paramref name="length"/> bytes still fits (the first record always does).</summary>
    public bool Fits(int length) => _count < maxRecords && (_count == 0 || _bytes + (long)length <= maxBytes);

    public void Add(long id, long timestampMicros, ReadOnlySpan<byte> payload)
    {
        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, Math.Min(maxRecords, _entries.Length * 2));
        }

        if (_bytes + payload.Length > _buffer.Length)
        {
            Reserve(Math.Max(_buffer.Length, payload.Length));
        }

        payload.CopyTo(_buffer.AsSpan(_bytes));
        _entries[_count++] = new RecordEntry(id, timestampMicros, _bytes, payload.Length);
        _bytes += payload.Length;
    }

    public RecordBatch Build(long nextId)
    {
        if (_count == 0)
        {
            return new RecordBatch([], [], nextId);
        }

        var entries = _count == _entries.Length ? _entries : _entries.AsSpan(0, _count).ToArray();
        return new RecordBatch(_buffer.AsSpan(0, _bytes).ToArray(), entries, nextId);
    }

    /// <summary>The records collected, in reverse order (for backward reads).</summary>
    public RecordBatch BuildReversed(long nextId)
    {
        var batch = Build(nextId);
        Array.Reverse(batch.Entries);
        return batch;
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);

    /// <summary>Makes room for <paramref name="more"/> bytes after those collected.</summary>
    private void Reserve(int more)
    {
        var needed = (long)_bytes + more;
        if (needed <= _buffer.Length)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(needed, Array.MaxLength));
        _buffer.AsSpan(0, _bytes).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    /// <summary>
    /// Parses the frames in <paramref name="frames"/> (which start at file offset <paramref name="fileOffset"/>), verifying
    /// every record checksum, and adds records <paramref name="fromId"/>..<paramref name="toId"/> while they fit.
    /// Returns the id after the last record added.
    /// </summary>
    public long AddFrames(ReadOnlySpan<byte> frames, long fileOffset, long fromId, long toId, string path, long segmentBaseId)
    {
        // Room for the payloads at once (they are shorter than their frames), rather than doubling the buffer as they come.
        Reserve((int)Math.Min(frames.Length, Math.Max(0, maxBytes - _bytes) + SegmentFormat.RecordFrameSize(0)));
        var expected = fromId;
        var pos = 0;
        while (pos + 4 <= frames.Length && expected <= toId)
        {
            var magic = BinaryPrimitives.ReadUInt32LittleEndian(frames[pos..]);
            var skip = SegmentFormat.NonRecordFrameSize(magic);
            if (skip > 0)
            {
                pos += skip;
                continue;
            }

            if (magic != SegmentFormat.RecordMagic || pos + RecordHeader.Size > frames.Length)
            {
                throw new SegmentCorruptedException(path, segmentBaseId, $"no record where id {expected} should be (offset {fileOffset + pos})");
            }

            RecordHeader.TryRead(frames[pos..], out var header);
            var frameSize = header.PayloadLength < 0 ? int.MaxValue : SegmentFormat.RecordFrameSize(header.PayloadLength);
            if (header.Id != expected || (long)pos + frameSize > frames.Length)
            {
                throw new SegmentCorruptedException(path, segmentBaseId, $"record header at offset {fileOffset + pos} is damaged (id field {header.Id}, expected {expected})");
            }

            var payload = frames.Slice(pos + RecordHeader.Size, header.PayloadLength);
            if (RecordHeader.ComputeChecksum(Crc32C.Compute(payload), frames[pos..]) != header.Checksum)
            {
                throw new SegmentCorruptedException(path, segmentBaseId, $"record {expected} fails its checksum");
            }

            if (!Fits(header.PayloadLength))
            {
                break;
            }

            Add(header.Id, header.TimestampMicros, payload);
            expected++;
            pos += frameSize;
        }

        return expected;
    }
}
