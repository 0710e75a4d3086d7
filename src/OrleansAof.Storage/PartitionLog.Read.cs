using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.Internal;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage;

public sealed partial class PartitionLog
{
    /// <summary>Default byte budget of one read.</summary>
    public const long DefaultMaxReadBytes = 4L * 1024 * 1024;

    internal interface IOffsets
    {
        long BaseId { get; }

        long At(int index);

        long End(int index);
    }

    /// <summary>
    /// Reads records from <paramref name="fromId"/> upward, at most <paramref name="maxRecords"/> records and about
    /// <paramref name="maxBytes"/> payload bytes (at least one record when any is available). Only durable records unless
    /// <paramref name="includeUndurable"/> is set. Reading at <see cref="NextId"/> returns an empty batch (a tail poll).
    /// Every record's checksum is verified; damaged data is reported, never returned.
    /// </summary>
    /// <exception cref="InvalidRangeException">A negative id or a non-positive limit.</exception>
    /// <exception cref="ReadBeyondTailException"><paramref name="fromId"/> is past <see cref="NextId"/>.</exception>
    /// <exception cref="RecordTrimmedException"><paramref name="fromId"/> is below <see cref="FirstId"/>.</exception>
    /// <exception cref="SegmentCorruptedException">The data failed its checksum.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<RecordBatch> ReadAsync(long fromId, int maxRecords = 1000, long maxBytes = DefaultMaxReadBytes, bool includeUndurable = false, CancellationToken cancellationToken = default)
    {
        ValidateLimits(fromId, maxRecords, maxBytes);
        var upper = CheckReadStart(fromId, includeUndurable);
        if (fromId > upper)
        {
            return new RecordBatch([], [], fromId);
        }

        var to = upper - fromId >= maxRecords ? fromId + maxRecords - 1 : upper;
        using var builder = new RecordBatchBuilder(maxRecords, maxBytes);
        var id = fromId;
        while (id <= to && !builder.IsFull)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long next;
            try
            {
                next = await ReadRangeAsync(id, to, builder, maxBytes, cancellationToken).ConfigureAwait(false);
            }
            catch (RecordsMissingException) when (builder.Count > 0)
            {
                // Stop before lost ids: the next read, from them, says where reading continues.
                break;
            }

            if (next == id)
            {
                break;
            }

            id = next;
        }

        return builder.Build(id);
    }

    /// <summary>
    /// Reads records downward from <paramref name="fromId"/> (inclusive, clamped to the visible tail), newest first.
    /// <see cref="RecordBatch.NextId"/> is the id to continue from (-1 or below <see cref="FirstId"/> at the start).
    /// </summary>
    /// <inheritdoc cref="ReadAsync"/>
    public async ValueTask<RecordBatch> ReadBackwardAsync(long fromId, int maxRecords = 1000, long maxBytes = DefaultMaxReadBytes, bool includeUndurable = false, CancellationToken cancellationToken = default)
    {
        ValidateLimits(fromId, maxRecords, maxBytes);
        var upper = CheckReadStart(fromId, includeUndurable);
        var id = Math.Min(fromId, upper);
        var first = FirstId;
        using var builder = new RecordBatchBuilder(maxRecords, maxBytes);
        while (id >= first && !builder.IsFull)
        {
            var lo = Math.Max(first, id - (maxRecords - builder.Count) + 1);
            var floor = SegmentFloor(id);
            lo = Math.Max(lo, floor);
            using var chunk = new RecordBatchBuilder((int)(id - lo + 1), long.MaxValue);
            var reached = lo;
            while (reached <= id)
            {
                reached = await ReadRangeAsync(reached, id, chunk, long.MaxValue, cancellationToken).ConfigureAwait(false);
            }

            var batch = chunk.Build(id + 1);
            var added = false;
            for (var i = batch.Count - 1; i >= 0; i--)
            {
                var e = batch.Entries[i];
                if (!builder.Fits(e.Length))
                {
                    return builder.Build(id);
                }

                builder.Add(e.Id, e.TimestampMicros, batch.Buffer.AsSpan(e.Offset, e.Length));
                id = e.Id - 1;
                added = true;
            }

            if (!added)
            {
                break;
            }
        }

        return builder.Build(id);
    }

    /// <summary>The first id whose timestamp is at or after <paramref name="time"/>, or <see cref="NextId"/> when there is none.</summary>
    public async ValueTask<long> FindIdAtTimestampAsync(DateTimeOffset time, CancellationToken cancellationToken = default)
    {
        var micros = SegmentFormat.ToUnixMicroseconds(time);
        List<SegmentInfo> remote;
        lock (_writeLock)
        {
            remote = [.. _rows.Values.Where(static r => r.Status == SegmentStatus.LocalEvicted).OrderBy(static r => r.BaseId)];
        }

        foreach (var row in remote)
        {
            // Rows rebuilt from an archive listing alone carry no timestamps (0): fetch to know.
            if (row.LastTimestampMicros >= micros || row.LastTimestampMicros == 0)
            {
                var (fetched, lease) = await AcquireFetchedAsync(row, cancellationToken).ConfigureAwait(false);
                using (lease)
                {
                    if (fetched.Metadata.LastTimestampMicros >= micros)
                    {
                        return Math.Max(FirstId, SearchTimestamp(lease.File, new SealedOffsets(fetched.BaseId, lease), fetched.BaseId, fetched.LastId, micros));
                    }
                }
            }
        }

        foreach (var s in _sealed)
        {
            if (s.Metadata.LastTimestampMicros >= micros && s.Count > 0)
            {
                if (s.Metadata.FirstTimestampMicros >= micros)
                {
                    return Math.Max(s.BaseId, FirstId);
                }

                using var lease = AcquireSealed(s);
                return SearchTimestamp(lease.File, new SealedOffsets(s.BaseId, lease), s.BaseId, s.LastId, micros);
            }
        }

        var active = _active;
        var last = LastId;
        if (last >= active.BaseId && active.LastTimestampMicros >= micros)
        {
            return SearchTimestamp(active.File, new ActiveOffsets(active), active.BaseId, last, micros);
        }

        return last + 1;
    }

    /// <summary>Reads records from the first at or after <paramref name="time"/>.</summary>
    /// <inheritdoc cref="ReadAsync"/>
    public async ValueTask<RecordBatch> ReadFromTimestampAsync(DateTimeOffset time, int maxRecords = 1000, long maxBytes = DefaultMaxReadBytes, bool includeUndurable = false, CancellationToken cancellationToken = default)
    {
        var id = await FindIdAtTimestampAsync(time, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(Math.Max(id, FirstId), maxRecords, maxBytes, includeUndurable, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Iterates the durable records <paramref name="fromId"/>..<paramref name="toId"/> of local segments in order, verifying
    /// checksums, without copying payloads: each record's payload is valid only until the iteration moves on.
    /// </summary>
    public IEnumerable<LogRecord> Scan(long fromId, long toId)
    {
        ValidateLimits(fromId, 1, 1);
        if (toId < fromId)
        {
            throw new InvalidRangeException($"The range {fromId}..{toId} is reversed.");
        }

        var upper = CheckReadStart(fromId, includeUndurable: false);
        return ScanCore(fromId, Math.Min(toId, upper));
    }

    private IEnumerable<LogRecord> ScanCore(long fromId, long toId)
    {
        byte[]? buffer = null;
        try
        {
            var id = fromId;
            while (id <= toId)
            {
                var located = Locate(id);
                if (located.Sealed is { } s)
                {
                    using var lease = AcquireSealed(s);
                    var last = Math.Min(toId, s.LastId);
                    if (lease.Map is { } map)
                    {
                        // Zero copy: each payload is a slice of the mapped file, which stays mapped at least while this
                        // lease is held (the segment is unmapped only when no lease is left). Checksums as below.
                        var pos = (int)lease.Offsets[(int)(id - s.BaseId)];
                        var endOffset = lease.RecordEnd((int)(last - s.BaseId));
                        if (endOffset > map.Bytes.Length)
                        {
                            throw new SegmentCorruptedException(s.Path, s.BaseId, $"the data ends at {endOffset}, past the file's {map.Bytes.Length} bytes");
                        }

                        // Pages are touched only after they were prepared, a window at a time. Where a window fails, the
                        // scan goes on a record at a time; from the first record that fails it reads through the file,
                        // which reports a truncation or device error as a SegmentCorruptedException, not a fault of the process.
                        var offsets = new SealedOffsets(s.BaseId, lease);
                        var prepared = pos;
                        var preparedThrough = id - 1;
                        while (id <= last)
                        {
                            if (id > preparedThrough)
                            {
                                var index = (int)(id - s.BaseId);
                                var j = LastFitting(offsets, index, (int)(last - s.BaseId), MappedSegment.PrepareWindowBytes);
                                if (!map.TryPrepareRead(pos, offsets.End(j) - pos))
                                {
                                    j = index;
                                    if (!map.TryPrepareRead(pos, offsets.End(j) - pos))
                                    {
                                        break;
                                    }
                                }

                                prepared = (int)offsets.End(j);
                                preparedThrough = s.BaseId + j;
                            }

                            var record = ParseRecord(map.Bytes[..prepared], pos, id, s.Path, s.BaseId, 0);
                            yield return new LogRecord(id, record.TimestampMicros, map.Slice(record.PayloadOffset, record.PayloadLength));
                            pos = record.Next;
                            id++;
                        }

                        if (id > last)
                        {
                            continue;
                        }
                    }

                    buffer ??= RentScanBuffer();
                    foreach (var r in ScanSegment(lease.File, new SealedOffsets(s.BaseId, lease), id, last, buffer, s.Path))
                    {
                        yield return r;
                    }

                    id = last + 1;
                }
                else if (located.Active is { } a)
                {
                    buffer ??= RentScanBuffer();
                    foreach (var r in ScanSegment(a.File, new ActiveOffsets(a), id, toId, buffer, _dir.SegmentPath(a.BaseId)))
                    {
                        yield return r;
                    }

                    id = toId + 1;
                }
                else
                {
                    throw MissingSegment(id);
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private byte[] RentScanBuffer() => ArrayPool<byte>.Shared.Rent(1024 * 1024 + SegmentFormat.RecordFrameSize(_options.MaxRecordBytes));

    private static IEnumerable<LogRecord> ScanSegment<TOffsets>(IStorageFile file, TOffsets offsets, long fromId, long toId, byte[] buffer, string path)
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
    private static ParsedRecord ParseRecord(ReadOnlySpan<byte> data, int pos, long expected, string path, long baseId, long fileOffset)
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

    private readonly record struct ParsedRecord(long TimestampMicros, int PayloadOffset, int PayloadLength, int Next);

    private static int LastFitting<TOffsets>(TOffsets offsets, int first, int last, long budget)
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

    private static long SearchTimestamp<TOffsets>(IStorageFile file, TOffsets offsets, long lo, long hi, long micros)
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

    /// <summary>
    /// Reads from the segment holding <paramref name="fromId"/>, up to <paramref name="toId"/> or the segment's end; returns
    /// the next id. A local sealed segment that turns out missing or damaged is healed from the archive (see
    /// <see cref="HealAsync"/>) and the read served from there.
    /// </summary>
    private ValueTask<long> ReadRangeAsync(long fromId, long toId, RecordBatchBuilder builder, long maxBytes, CancellationToken cancellationToken)
    {
        var mark = builder.Count;
        for (var attempt = 0; ; attempt++)
        {
            var located = Locate(fromId);
            try
            {
                if (located.Sealed is { } s)
                {
                    using var lease = AcquireSealed(s);
                    var last = Math.Min(toId, s.LastId);
                    return new ValueTask<long>(ReadFrames(lease, s.BaseId, fromId, last, builder, maxBytes, s.Path));
                }

                if (located.Active is { } a)
                {
                    return new ValueTask<long>(ReadFrames(a.File, new ActiveOffsets(a), fromId, toId, builder, maxBytes, _dir.SegmentPath(a.BaseId)));
                }
            }
            catch (ObjectDisposedException) when (attempt == 0)
            {
                // The segment was sealed or its reader closed under us; look it up again.
                builder.TruncateTo(mark);
                continue;
            }
            catch (Exception e) when (located.Sealed is { } damaged && IsLocalSegmentFailure(e))
            {
                // Records before the damaged one may already be in the batch: the healed read adds them again.
                builder.TruncateTo(mark);
                return HealAndReadAsync(damaged, e, fromId, toId, builder, maxBytes, cancellationToken);
            }

            return RemoteRow(fromId) is { } row ? ReadFetchedAsync(row, fromId, toId, builder, maxBytes, cancellationToken) : throw MissingSegment(fromId);
        }
    }

    /// <summary>Whether a read of a local sealed segment failed because the file is gone, cut short or damaged.</summary>
    private static bool IsLocalSegmentFailure(Exception e) => e is SegmentCorruptedException or IOException or UnauthorizedAccessException;

    private async ValueTask<long> HealAndReadAsync(SealedSegment damaged, Exception failure, long fromId, long toId, RecordBatchBuilder builder, long maxBytes, CancellationToken cancellationToken)
    {
        if (!await HealAsync(damaged, failure, cancellationToken).ConfigureAwait(false))
        {
            throw failure as SegmentCorruptedException ?? new SegmentCorruptedException(damaged.Path, damaged.BaseId, failure.Message);
        }

        return await ReadRangeAsync(fromId, toId, builder, maxBytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads from a segment that lives only in the archive, fetching it into the read cache first.</summary>
    private async ValueTask<long> ReadFetchedAsync(SegmentInfo row, long fromId, long toId, RecordBatchBuilder builder, long maxBytes, CancellationToken cancellationToken)
    {
        var (segment, lease) = await AcquireFetchedAsync(row, cancellationToken).ConfigureAwait(false);
        using (lease)
        {
            return ReadFrames(lease, segment.BaseId, fromId, Math.Min(toId, segment.LastId), builder, maxBytes, segment.Path);
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

    /// <summary>Checks where a read starts and returns the highest visible id.</summary>
    private long CheckReadStart(long fromId, bool includeUndurable)
    {
        if (State == PartitionState.Closed)
        {
            throw new ObjectDisposedException(nameof(PartitionLog), $"Partition '{_dir.FullName}' is closed.");
        }

        var last = LastId;
        var upper = includeUndurable ? last : Math.Min(last, DurableId);
        if (fromId > last + 1)
        {
            throw new ReadBeyondTailException(fromId, last + 1);
        }

        var first = FirstId;
        if (fromId < first)
        {
            throw new RecordTrimmedException(fromId, first);
        }

        return upper;
    }

    private long SegmentFloor(long id)
    {
        var located = Locate(id);
        return located.Sealed?.BaseId ?? located.Active?.BaseId ?? RemoteRow(id)?.BaseId ?? id;
    }

    private (SealedSegment? Sealed, ActiveSegment? Active) Locate(long id)
    {
        var sealedSegments = _sealed;
        var active = _active;
        if (id >= active.BaseId)
        {
            return (null, active);
        }

        int lo = 0, hi = sealedSegments.Length - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) / 2);
            var s = sealedSegments[mid];
            if (id < s.BaseId)
            {
                hi = mid - 1;
            }
            else if (id > s.LastId)
            {
                lo = mid + 1;
            }
            else
            {
                return (s, null);
            }
        }

        // Sealed by a concurrent roll after the active segment was read: look again.
        var again = _sealed;
        if (!ReferenceEquals(again, sealedSegments))
        {
            foreach (var s in again)
            {
                if (id >= s.BaseId && id <= s.LastId)
                {
                    return (s, null);
                }
            }
        }

        return (null, null);
    }

    private AppendLogException MissingSegment(long id)
    {
        List<SegmentInfo> rows;
        lock (_writeLock)
        {
            rows = [.. _rows.Values];
        }

        foreach (var row in rows)
        {
            if (row.Status == SegmentStatus.Quarantined && id >= row.BaseId && (row.LastId < row.BaseId || id <= row.LastId))
            {
                return new SegmentCorruptedException(Path.Combine(_dir.Quarantine, row.FileName), row.BaseId, $"id {id} lies in a quarantined segment");
            }

            if (row.Status == SegmentStatus.Missing && id >= row.BaseId && id <= row.LastId)
            {
                return new RecordsMissingException(id, row.BaseId, row.LastId);
            }
        }

        return new SegmentCorruptedException(_dir.Segments, -1, $"no local segment holds id {id}");
    }

    private SealedSegment.Lease AcquireSealed(SealedSegment segment)
    {
        var lease = segment.Acquire(_fs, _options.MapSealedSegments);
        TrackOpenReader(segment);
        return lease;
    }

    private void TrackOpenReader(SealedSegment segment)
    {
        lock (_readersLock)
        {
            var node = _openReaders.First;
            if (node is not null && ReferenceEquals(node.Value, segment))
            {
                return;
            }

            _openReaders.Remove(segment);
            _openReaders.AddFirst(segment);
            while (_openReaders.Count > _options.OpenSegmentReaders)
            {
                var last = _openReaders.Last!.Value;
                _openReaders.RemoveLast();
                last.Close();
            }
        }
    }

    private readonly struct ActiveOffsets(ActiveSegment segment) : IOffsets
    {
        public long BaseId => segment.BaseId;

        public long At(int index) => segment.Offsets[index];

        public long End(int index) => segment.RecordEnd(index);
    }

    internal readonly struct SealedOffsets(long baseId, SealedSegment.Lease lease) : IOffsets
    {
        public long BaseId => baseId;

        public long At(int index) => lease.Offsets[index];

        public long End(int index) => lease.RecordEnd(index);
    }
}
