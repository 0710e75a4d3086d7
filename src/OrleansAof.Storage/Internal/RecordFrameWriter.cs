using System.Buffers.Binary;
using OrleansAof.Storage.Format;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// Encodes the frames of one append (an optional producer stamp, then header, payload and trailer per record, see
/// docs/format.md) into the active segment: straight into its writable mapping (<see cref="ActiveSegmentWriteMode.Mapped"/>),
/// or through a scratch buffer and one <c>pwrite</c>; then advances the segment's in-memory state (offsets, rolling
/// checksum, timestamps). Called under the writer's lock.
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

    /// <summary>
    /// Writes the <paramref name="frames"/> bytes of frames at the segment's write offset: encoded straight into the
    /// segment's writable mapping when <paramref name="mapped"/> and the mapping can hold them, otherwise through the scratch buffer and
    /// <see cref="IO.IStorageFile.Write"/>. Returns the payload bytes written.
    /// </summary>
    /// <exception cref="IOException">The write failed; the segment's in-memory state is unchanged.</exception>
    public static long Write<T>(ActiveSegment segment, scoped ref T payloads, scoped ReadOnlySpan<uint> crcs, long frames, bool mapped, byte[] scratch, long firstId, long nowMicros, RecordFlags ack, ProducerStamp? stamp)
        where T : IPayloads, allows ref struct
    {
        var n = payloads.Count;
        var start = segment.WriteOffset;
        var previous = segment.LastRecordStart;
        var rolling = segment.Rolling;
        var payloadBytes = mapped && segment.TryReserveMapped(start, start + frames)
            ? EncodeMapped(segment.Mapping!.Address, start, ref payloads, crcs, firstId, nowMicros, ack, stamp, ref previous, ref rolling)
            : WriteBuffered(segment, start, ref payloads, crcs, scratch, firstId, nowMicros, ack, stamp, ref previous, ref rolling);

        var pos = start + (stamp is null ? 0 : ProducerStampFrame.Size);
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

    /// <summary>Encodes the frames into the mapped file at <paramref name="start"/> (the caller made the range writable).</summary>
    private static unsafe long EncodeMapped<T>(nint address, long start, scoped ref T payloads, scoped ReadOnlySpan<uint> crcs, long firstId, long nowMicros, RecordFlags ack, ProducerStamp? stamp, ref long previous, ref uint rolling)
        where T : IPayloads, allows ref struct
    {
        var n = payloads.Count;
        var at = start;
        long payloadBytes = 0;
        if (stamp is { } st)
        {
            new ProducerStampFrame(st.ProducerId, st.Sequence, firstId).WriteTo(new Span<byte>((byte*)address + at, ProducerStampFrame.Size));
            at += ProducerStampFrame.Size;
        }

        for (var i = 0; i < n; i++)
        {
            var payload = payloads.Get(i);
            var frame = SegmentFormat.RecordFrameSize(payload.Length);
            var flags = ack | (i < n - 1 ? RecordFlags.BatchContinues : RecordFlags.None);
            var distance = previous < 0 ? 0 : (uint)(at - previous);
            var crc = Encode(new Span<byte>((byte*)address + at, frame), payload, crcs[i], flags, firstId + i, nowMicros, distance);
            previous = at;
            rolling = RollingChecksum.Next(rolling, crc);
            payloadBytes += payload.Length;
            at += frame;
        }

        return payloadBytes;
    }

    /// <summary>Encodes the frames into <paramref name="scratch"/> and writes them to the file, a scratch buffer at a time.</summary>
    private static long WriteBuffered<T>(ActiveSegment segment, long start, scoped ref T payloads, scoped ReadOnlySpan<uint> crcs, byte[] scratch, long firstId, long nowMicros, RecordFlags ack, ProducerStamp? stamp, ref long previous, ref uint rolling)
        where T : IPayloads, allows ref struct
    {
        var n = payloads.Count;
        var bufferStart = start;
        var used = 0;
        var last = previous;
        var chain = rolling;
        long payloadBytes = 0;
        if (stamp is { } st)
        {
            new ProducerStampFrame(st.ProducerId, st.Sequence, firstId).WriteTo(scratch);
            used = ProducerStampFrame.Size;
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

            var recordStart = bufferStart + used;
            var flags = ack | (i < n - 1 ? RecordFlags.BatchContinues : RecordFlags.None);
            var distance = last < 0 ? 0 : (uint)(recordStart - last);
            var crc = Encode(scratch.AsSpan(used, frame), payload, crcs[i], flags, firstId + i, nowMicros, distance);
            last = recordStart;
            chain = RollingChecksum.Next(chain, crc);
            payloadBytes += payload.Length;
            used += frame;
        }

        segment.File.Write(bufferStart, scratch.AsSpan(0, used));

        // Only after every write succeeded: a failed write leaves the segment's state as it was.
        previous = last;
        rolling = chain;
        return payloadBytes;
    }

    /// <summary>Encodes one record (header, payload, zero padding, trailer) into <paramref name="span"/>; returns its checksum.</summary>
    private static uint Encode(Span<byte> span, ReadOnlySpan<byte> payload, uint payloadCrc, RecordFlags flags, long id, long nowMicros, uint distance)
    {
        RecordHeader.WriteBody(span, payload.Length, flags, id, nowMicros);
        var crc = RecordHeader.ComputeChecksum(payloadCrc, span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], crc);
        payload.CopyTo(span[RecordHeader.Size..]);
        span[(RecordHeader.Size + payload.Length)..(span.Length - RecordTrailer.Size)].Clear();
        new RecordTrailer(crc, payload.Length, distance).WriteTo(span[(span.Length - RecordTrailer.Size)..]);
        return crc;
    }
}
