// About 600 lines on purpose: the forward scan, the sealed-structure reader and their stop reasons are one format reader.
using System.Buffers;
using System.Buffers.Binary;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Format;

/// <summary>
/// Reads segment files frame by frame: forward (validating every checksum, id continuity and the rolling checksum at each
/// checkpoint), backward through the record trailers, and from the end through the footer.
/// </summary>
public static class SegmentScanner
{
    private const int Window = 4 * 1024 * 1024;

    /// <summary>Reads and validates the footer, metadata and (optionally) the index of a sealed segment, without scanning records.</summary>
    public static SegmentScanResult ReadSealed(IStorageFile file, bool validateIndex)
    {
        ArgumentNullException.ThrowIfNull(file);
        var length = file.Length;
        var result = new SegmentScanResult(file.Path, length);
        Span<byte> header = stackalloc byte[SegmentHeader.Size];
        if (file.ReadAtMost(0, header) < SegmentHeader.Size)
        {
            result.HeaderError = "segment header is truncated";
            return result;
        }

        result.HeaderError = SegmentHeader.TryRead(header, out var h);
        if (result.HeaderError is null)
        {
            result.Header = h;
        }

        ReadFooter(file, result, validateIndex);
        return result;
    }

    /// <summary>
    /// Scans a segment forward from its header. For a sealed file the scan stops at the seal structures; otherwise at the
    /// first zero or invalid frame, after which it looks for a later valid checkpoint (damage) and the last non-zero byte.
    /// </summary>
    /// <param name="file">The segment file.</param>
    /// <param name="maxPayload">Upper bound on a plausible payload length (the configured maximum record size).</param>
    /// <param name="collectRecords">Whether to keep every record in <see cref="SegmentScanResult.Records"/> (recovery and tools do).</param>
    public static SegmentScanResult ScanForward(IStorageFile file, int maxPayload, bool collectRecords = true)
    {
        ArgumentNullException.ThrowIfNull(file);
        var result = ReadSealed(file, validateIndex: true);
        var limit = result.Footer is { } f ? f.DataEnd : file.Length;
        if (result.Header is not { } header)
        {
            result.AllZero = IsAllZero(file, 0, file.Length, out var nz);
            result.ValidEnd = 0;
            result.NonZeroEnd = nz;
            result.Stop = ScanStop.InvalidFrame;
            result.StopDetail = result.HeaderError;
            return result;
        }

        using var reader = new WindowReader(file, limit, Math.Max(Window, (2 * SegmentFormat.RecordFrameSize(maxPayload)) + 64));
        long pos = SegmentHeader.Size;
        var expectedId = header.BaseId;
        var rolling = RollingChecksum.Empty;
        long previousStart = -1;
        var count = 0;
        string? detail = null;
        var stop = ScanStop.CleanEnd;
        while (true)
        {
            if (pos + 8 > limit)
            {
                if (pos < limit && reader.Get(pos, (int)(limit - pos)).ContainsAnyExcept((byte)0))
                {
                    stop = ScanStop.InvalidFrame;
                    detail = "truncated frame at the end of the file";
                }

                break;
            }

            var magic = BinaryPrimitives.ReadUInt32LittleEndian(reader.Get(pos, 4));
            if (magic == 0)
            {
                break;
            }

            if (magic == SegmentFormat.RecordMagic)
            {
                detail = TryRecord(reader, pos, limit, maxPayload, expectedId, previousStart, out var rec);
                if (detail is not null)
                {
                    stop = ScanStop.InvalidFrame;
                    break;
                }

                if (collectRecords)
                {
                    result.Records.Add(rec);
                }

                rolling = RollingChecksum.Next(rolling, rec.Checksum);
                previousStart = pos;
                pos = rec.End;
                expectedId++;
                count++;
                continue;
            }

            if (magic == SegmentFormat.CheckpointMagic)
            {
                if (pos + FlushCheckpoint.Size > limit || !FlushCheckpoint.TryRead(reader.Get(pos, FlushCheckpoint.Size), pos, out var cp))
                {
                    stop = ScanStop.InvalidFrame;
                    detail = "invalid checkpoint";
                    break;
                }

                if (cp.LastId != expectedId - 1 || cp.RecordCount != count || cp.RollingChecksum != rolling)
                {
                    stop = ScanStop.InvalidFrame;
                    detail = $"checkpoint disagrees with the records before it (last id {cp.LastId} vs {expectedId - 1}, count {cp.RecordCount} vs {count}, rolling checksum)";
                    break;
                }

                result.Checkpoints.Add(new ScannedCheckpoint(cp, count));
                pos += FlushCheckpoint.Size;
                continue;
            }

            if (magic == SegmentFormat.ProducerStampMagic)
            {
                if (pos + ProducerStampFrame.Size > limit || !ProducerStampFrame.TryRead(reader.Get(pos, ProducerStampFrame.Size), out var stamp) || stamp.FirstId != expectedId)
                {
                    stop = ScanStop.InvalidFrame;
                    detail = "invalid producer stamp";
                    break;
                }

                result.Stamps.Add((stamp, pos));
                pos += ProducerStampFrame.Size;
                continue;
            }

            if (magic == SegmentFormat.MetadataMagic)
            {
                stop = ScanStop.SealStructures;
                break;
            }

            stop = ScanStop.InvalidFrame;
            detail = $"unknown frame magic 0x{magic:X8}";
            break;
        }

        result.RollingChecksum = rolling;
        result.ValidEnd = pos;
        result.Stop = stop;
        result.StopDetail = detail;
        if (!collectRecords)
        {
            result.Records.Capacity = 0;
        }

        if (result.Footer is null)
        {
            // Only unsealed files can have a torn tail; look past it for proof of damage and for stale bytes to clear.
            IsAllZero(file, pos, file.Length, out var nonZeroEnd);
            result.NonZeroEnd = nonZeroEnd;
            if (stop == ScanStop.InvalidFrame || nonZeroEnd > pos)
            {
                result.CheckpointAfterDamage = FindCheckpoint(reader, pos + SegmentFormat.Alignment, file.Length);
            }

            if (stop == ScanStop.CleanEnd && result.CheckpointAfterDamage is not null)
            {
                // Zeros where a frame should start are a hole, not the end, when a later checkpoint declares them durable.
                result.Stop = ScanStop.InvalidFrame;
                result.StopDetail = "zero bytes where a frame should start";
            }
        }
        else
        {
            result.NonZeroEnd = pos;
        }

        return result;
    }

    /// <summary>Walks the records of a segment backwards from <paramref name="dataEnd"/> through their trailers; returns them in descending id order.</summary>
    /// <exception cref="InvalidDataException">A trailer or header does not check out.</exception>
    public static List<ScannedRecord> ScanBackward(IStorageFile file, long dataEnd)
    {
        ArgumentNullException.ThrowIfNull(file);
        var records = new List<ScannedRecord>();
        Span<byte> trailerBytes = stackalloc byte[RecordTrailer.Size];
        Span<byte> headerBytes = stackalloc byte[RecordHeader.Size];

        // The data may end with checkpoints; step back over them.
        var end = dataEnd;
        while (end > SegmentHeader.Size)
        {
            if (end - FlushCheckpoint.Size >= SegmentHeader.Size)
            {
                Span<byte> cp = stackalloc byte[FlushCheckpoint.Size];
                file.ReadExactly(end - FlushCheckpoint.Size, cp);
                if (FlushCheckpoint.TryRead(cp, end - FlushCheckpoint.Size, out _))
                {
                    end -= FlushCheckpoint.Size;
                    continue;
                }
            }

            break;
        }

        if (end <= SegmentHeader.Size)
        {
            return records;
        }

        file.ReadExactly(end - RecordTrailer.Size, trailerBytes);
        if (!RecordTrailer.TryRead(trailerBytes, out var trailer))
        {
            throw new InvalidDataException($"invalid record trailer ending at {end}");
        }

        var start = end - SegmentFormat.RecordFrameSize(trailer.PayloadLength);
        while (true)
        {
            if (start < SegmentHeader.Size)
            {
                throw new InvalidDataException($"record trailer ending at {end} points before the segment header");
            }

            file.ReadExactly(start, headerBytes);
            if (!RecordHeader.TryRead(headerBytes, out var header) || header.Checksum != trailer.Checksum || header.PayloadLength != trailer.PayloadLength)
            {
                throw new InvalidDataException($"record at {start} does not match its trailer");
            }

            records.Add(new ScannedRecord(header.Id, start, header.PayloadLength, header.TimestampMicros, header.Flags, header.Checksum));
            if (trailer.PreviousDistance == 0)
            {
                return records;
            }

            var previousStart = start - trailer.PreviousDistance;
            file.ReadExactly(previousStart, headerBytes);
            if (!RecordHeader.TryRead(headerBytes, out var previous))
            {
                throw new InvalidDataException($"record at {start} names a previous record at {previousStart} that is not there");
            }

            var previousEnd = previousStart + SegmentFormat.RecordFrameSize(previous.PayloadLength);
            file.ReadExactly(previousEnd - RecordTrailer.Size, trailerBytes);
            if (!RecordTrailer.TryRead(trailerBytes, out trailer))
            {
                throw new InvalidDataException($"invalid record trailer ending at {previousEnd}");
            }

            end = previousEnd;
            start = previousStart;
        }
    }

    private static string? TryRecord(WindowReader reader, long pos, long limit, int maxPayload, long expectedId, long previousStart, out ScannedRecord record)
    {
        record = default;
        if (pos + RecordHeader.Size > limit)
        {
            return "truncated record header";
        }

        RecordHeader.TryRead(reader.Get(pos, RecordHeader.Size), out var h);
        if (h.PayloadLength < 0 || h.PayloadLength > maxPayload)
        {
            return $"implausible payload length {h.PayloadLength}";
        }

        var frame = SegmentFormat.RecordFrameSize(h.PayloadLength);
        if (pos + frame > limit)
        {
            return "truncated record";
        }

        var bytes = reader.Get(pos, frame);
        var payloadCrc = Crc32C.Compute(bytes.Slice(RecordHeader.Size, h.PayloadLength));
        if (RecordHeader.ComputeChecksum(payloadCrc, bytes) != h.Checksum)
        {
            return $"record checksum mismatch (id field {h.Id})";
        }

        if (bytes[(RecordHeader.Size + h.PayloadLength)..(frame - RecordTrailer.Size)].ContainsAnyExcept((byte)0))
        {
            return $"record padding is not zero (id field {h.Id})";
        }

        if (!RecordTrailer.TryRead(bytes[(frame - RecordTrailer.Size)..], out var t) || t.Checksum != h.Checksum || t.PayloadLength != h.PayloadLength)
        {
            return $"record trailer does not match its header (id {h.Id})";
        }

        var expectedDistance = previousStart < 0 ? 0 : pos - previousStart;
        if (t.PreviousDistance != expectedDistance)
        {
            return $"record trailer names the wrong previous record (id {h.Id})";
        }

        if (h.Id != expectedId)
        {
            return $"record id {h.Id} where {expectedId} was expected";
        }

        record = new ScannedRecord(h.Id, pos, h.PayloadLength, h.TimestampMicros, h.Flags, h.Checksum);
        return null;
    }

    private static void ReadFooter(IStorageFile file, SegmentScanResult result, bool validateIndex)
    {
        var length = result.FileLength;
        if (length < SegmentHeader.Size + SegmentMetadata.Size + ProducerTable.HeaderSize + BinaryIndexHeader.Size + SegmentFooter.Size)
        {
            result.FooterError = "no footer";
            return;
        }

        Span<byte> footerBytes = stackalloc byte[SegmentFooter.Size];
        file.ReadExactly(length - SegmentFooter.Size, footerBytes);
        result.FooterError = SegmentFooter.TryRead(footerBytes, length, out var footer);
        if (result.FooterError is not null)
        {
            return;
        }

        Span<byte> metaBytes = stackalloc byte[SegmentMetadata.Size];
        file.ReadExactly(footer.MetadataOffset, metaBytes);
        if (!SegmentMetadata.TryRead(metaBytes, out var meta) || BinaryPrimitives.ReadUInt32LittleEndian(metaBytes[4..]) != footer.MetadataChecksum)
        {
            result.FooterError = "segment metadata is damaged";
            return;
        }

        if (meta.BaseId != footer.BaseId || BinaryIndexHeader.TotalSize(meta.RecordCount) != footer.IndexLength)
        {
            result.FooterError = "segment metadata disagrees with the footer";
            return;
        }

        var tableBytes = new byte[footer.ProducerTableLength];
        file.ReadExactly(footer.ProducerTableOffset, tableBytes);
        var table = ProducerTable.Read(tableBytes);
        if (table is null || BinaryPrimitives.ReadUInt32LittleEndian(tableBytes.AsSpan(4)) != footer.ProducerTableChecksum)
        {
            result.FooterError = "segment producer table is damaged";
            return;
        }

        if (validateIndex)
        {
            var index = ArrayPool<byte>.Shared.Rent((int)footer.IndexLength);
            try
            {
                var span = index.AsSpan(0, (int)footer.IndexLength);
                file.ReadExactly(footer.IndexOffset, span);
                result.IndexValid = BinaryIndexHeader.Validate(span) == meta.RecordCount && BinaryPrimitives.ReadUInt32LittleEndian(span[4..]) == footer.IndexChecksum;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(index);
            }

            if (result.IndexValid == false)
            {
                result.FooterError = "segment index is damaged";
                return;
            }
        }

        result.Footer = footer;
        result.Metadata = meta;
        result.ProducerTable = table;
    }

    private static long? FindCheckpoint(WindowReader reader, long from, long fileLength)
    {
        for (var pos = SegmentFormat.Align(from); pos + FlushCheckpoint.Size <= fileLength; pos += SegmentFormat.Alignment)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(reader.GetUnbounded(pos, 4)) == SegmentFormat.CheckpointMagic
                && FlushCheckpoint.TryRead(reader.GetUnbounded(pos, FlushCheckpoint.Size), pos, out _))
            {
                return pos;
            }
        }

        return null;
    }

    private static bool IsAllZero(IStorageFile file, long from, long to, out long nonZeroEnd)
    {
        nonZeroEnd = from;
        var buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            var allZero = true;
            for (var pos = from; pos < to;)
            {
                var n = file.ReadAtMost(pos, buffer.AsSpan(0, (int)Math.Min(buffer.Length, to - pos)));
                if (n <= 0)
                {
                    break;
                }

                var last = buffer.AsSpan(0, n).LastIndexOfAnyExcept((byte)0);
                if (last >= 0)
                {
                    allZero = false;
                    nonZeroEnd = pos + last + 1;
                }

                pos += n;
            }

            return allZero;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A sliding window over a file so frames can be read as spans.</summary>
    private sealed class WindowReader(IStorageFile file, long limit, int size) : IDisposable
    {
        private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(size);
        private long _start = -1;
        private int _count;

        public ReadOnlySpan<byte> Get(long pos, int length) => length > limit - pos ? Fill(pos, (int)Math.Max(0, limit - pos), limit) : Fill(pos, length, limit);

        public ReadOnlySpan<byte> GetUnbounded(long pos, int length) => Fill(pos, length, file.Length);

        private ReadOnlySpan<byte> Fill(long pos, int length, long end)
        {
            if (_start < 0 || pos < _start || pos + length > _start + _count)
            {
                _start = pos;
                _count = file.ReadAtMost(pos, _buffer.AsSpan(0, (int)Math.Min(_buffer.Length, Math.Max(0, end - pos))));
            }

            var offset = (int)(pos - _start);
            return _buffer.AsSpan(offset, Math.Min(length, _count - offset));
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
    }
}
