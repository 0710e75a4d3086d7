using System.Buffers.Binary;
using OrleansAof.Storage.Format;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// Encodes the frames of one append (an optional producer stamp, then header, payload and trailer per record, see
/// docs/format.md) through a scratch buffer into the active segment's file, and advances the segment's in-memory state
/// (offsets, rolling checksum, timestamps). Called under the writer's lock.
/// </summary>
internal static class RecordFrameWriter
{
    private const int SealReserveFixed = SegmentMetadata.Size + BinaryIndexHeader.Size + SegmentFooter.Size;

    /// <summary>Bytes a seal appends after the data of a segment of <paramref name="records"/> records (without producer entries).</summary>
    public static long SealReserve(long records) => SealReserveFixed + ProducerTable.HeaderSize + (records * BinaryIndexHeader.EntrySize);

    /// <summary>The bytes the frames of an append take; rejects an empty append, an oversized record and a batch no segment can hold.</summary>
    /// <exception cref="EmptyBatchException">No payloads.</exception>
    /// <exception cref="RecordTooLargeException">A payload is over <paramref name="maxRecordBytes"/>.</exception>
    /// <exception cref="BatchTooLargeException">The batch would not fit in one segment.</exception>
    public static long Measure<T>(scoped ref T payloads, bool stamped, int maxRecordBytes, long maxSegmentBytes)
        where T : IPayloads, allows ref struct
    {
        var n = payloads.Count;
        if (n == 0)
        {
            throw new EmptyBatchException();
        }

        long frames = stamped ? ProducerStampFrame.Size : 0;
        for (var i = 0; i < n; i++)
        {
            var length = payloads.Get(i).Length;
            if (length > maxRecordBytes)
            {
                throw new RecordTooLargeException(length, maxRecordBytes);
            }

            frames += SegmentFormat.RecordFrameSize(length);
        }

        var largest = maxSegmentBytes - SegmentHeader.Size - FlushCheckpoint.Size - SealReserve(0);
        if (frames + (n * (long)BinaryIndexHeader.EntrySize) > largest)
        {
            throw new BatchTooLargeException(n, frames, largest);
        }

        return frames;
    }

    /// <summary>Writes the frames at the segment's write offset; returns the payload bytes written.</summary>
    /// <exception cref="IOException">The write failed; the segment's in-memory state is unchanged.</exception>
    public static long Write<T>(ActiveSegment segment, scoped ref T payloads, scoped ReadOnlySpan<uint> crcs, byte[] scratch, long firstId, long nowMicros, RecordFlags ack, ProducerStamp? stamp)
        where T : IPayloads, allows ref struct
    {
        var n = payloads.Count;
        var start = segment.WriteOffset;
        var bufferStart = start;
        var used = 0;
        var previous = segment.LastRecordStart;
        var rolling = segment.Rolling;
        long payloadBytes = 0;
        var stampBytes = 0;
        if (stamp is { } st)
        {
            new ProducerStampFrame(st.ProducerId, st.Sequence, firstId).WriteTo(scratch);
            stampBytes = ProducerStampFrame.Size;
            used = stampBytes;
        }

        for (var i = 0; i < n; i++)
        {
            var payload = payloads.Get(i);
            var frame = SegmentFormat.RecordFrameSize(payload.Length);
            if (used + frame > scratch.Length)
            {
                segment.File.Write(bufferStart, scratch.AsSpan(0, used));
                bufferStart += used;
                used = 0;
            }

            var span = scratch.AsSpan(used, frame);
            var flags = ack | (i < n - 1 ? RecordFlags.BatchContinues : RecordFlags.None);
            RecordHeader.WriteBody(span, payload.Length, flags, firstId + i, nowMicros);
            var crc = RecordHeader.ComputeChecksum(crcs[i], span);
            BinaryPrimitives.WriteUInt32LittleEndian(span[4..], crc);
            payload.CopyTo(span[RecordHeader.Size..]);
            span[(RecordHeader.Size + payload.Length)..(frame - RecordTrailer.Size)].Clear();
            var recordStart = bufferStart + used;
            new RecordTrailer(crc, payload.Length, previous < 0 ? 0 : (uint)(recordStart - previous)).WriteTo(span[(frame - RecordTrailer.Size)..]);
            previous = recordStart;
            rolling = RollingChecksum.Next(rolling, crc);
            payloadBytes += payload.Length;
            used += frame;
        }

        segment.File.Write(bufferStart, scratch.AsSpan(0, used));

        var pos = start + stampBytes;
        if (segment.Count == 0)
        {
            segment.FirstTimestampMicros = nowMicros;
        }

        for (var i = 0; i < n; i++)
        {
            segment.Offsets.Add(pos);
            pos += SegmentFormat.RecordFrameSize(payloads.Get(i).Length);
        }

        segment.LastRecordStart = previous;
        Volatile.Write(ref segment.LastRecordEnd, pos);
        segment.WriteOffset = pos;
        segment.Rolling = rolling;
        segment.LastTimestampMicros = nowMicros;
        return payloadBytes;
    }
}
