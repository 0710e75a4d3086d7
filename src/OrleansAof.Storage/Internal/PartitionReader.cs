using System.Buffers;
using System.Runtime.CompilerServices;
using OrleansAof.Storage.Format;
using static OrleansAof.Storage.Internal.SegmentReads;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// The read paths of a partition: forward and backward reads, timestamp lookups and zero-copy scans over the local
/// segments, the archived-segment cache for evicted ones, and self-healing when a local sealed segment turns out missing
/// or damaged. Takes no lock of its own: it reads published snapshots (segment set, catalog rows, the writer's ids).
/// </summary>
internal sealed class PartitionReader
{
    private readonly PartitionDirectory _dir;
    private readonly int _maxRecordBytes;
    private readonly SegmentSet _segments;
    private readonly PartitionCatalog _catalog;
    private readonly FetchedSegmentCache _cache;
    private readonly PartitionArchival _archival;
    private readonly WriterState _writer;

    public PartitionReader(PartitionDirectory dir, PartitionLogOptions options, SegmentSet segments, PartitionCatalog catalog, FetchedSegmentCache cache, PartitionArchival archival, WriterState writer)
    {
        _dir = dir;
        _maxRecordBytes = options.MaxRecordBytes;
        _segments = segments;
        _catalog = catalog;
        _cache = cache;
        _archival = archival;
        _writer = writer;
    }

    /// <inheritdoc cref="PartitionLog.ReadAsync"/>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<RecordBatch> ReadAsync(long fromId, int maxRecords, long maxBytes, bool includeUndurable, CancellationToken cancellationToken)
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

    /// <inheritdoc cref="PartitionLog.ReadBackwardAsync"/>
    public async ValueTask<RecordBatch> ReadBackwardAsync(long fromId, int maxRecords, long maxBytes, bool includeUndurable, CancellationToken cancellationToken)
    {
        ValidateLimits(fromId, maxRecords, maxBytes);
        var upper = CheckReadStart(fromId, includeUndurable);
        var id = Math.Min(fromId, upper);
        var first = _catalog.FirstId;
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

    /// <inheritdoc cref="PartitionLog.FindIdAtTimestampAsync"/>
    public async ValueTask<long> FindIdAtTimestampAsync(DateTimeOffset time, CancellationToken cancellationToken)
    {
        var micros = SegmentFormat.ToUnixMicroseconds(time);
        foreach (var row in _catalog.SnapshotOrdered())
        {
            // Rows rebuilt from an archive listing alone carry no timestamps (0): fetch to know.
            if (row.Status == SegmentStatus.LocalEvicted && (row.LastTimestampMicros >= micros || row.LastTimestampMicros == 0))
            {
                var (fetched, lease) = await _cache.AcquireAsync(row, cancellationToken).ConfigureAwait(false);
                using (lease)
                {
                    if (fetched.Metadata.LastTimestampMicros >= micros)
                    {
                        return Math.Max(_catalog.FirstId, SearchTimestamp(lease.File, new SealedOffsets(fetched.BaseId, lease), fetched.BaseId, fetched.LastId, micros));
                    }
                }
            }
        }

        foreach (var s in _segments.Sealed)
        {
            if (s.Metadata.LastTimestampMicros >= micros && s.Count > 0)
            {
                if (s.Metadata.FirstTimestampMicros >= micros)
                {
                    return Math.Max(s.BaseId, _catalog.FirstId);
                }

                using var lease = _segments.Acquire(s);
                return SearchTimestamp(lease.File, new SealedOffsets(s.BaseId, lease), s.BaseId, s.LastId, micros);
            }
        }

        var active = _segments.Active;
        var last = Volatile.Read(ref _writer.LastId);
        if (last >= active.BaseId && active.LastTimestampMicros >= micros)
        {
            return SearchTimestamp(active.File, new ActiveOffsets(active), active.BaseId, last, micros);
        }

        return last + 1;
    }

    /// <inheritdoc cref="PartitionLog.Scan"/>
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
                var located = _segments.Locate(id);
                if (located.Sealed is { } s)
                {
                    using var lease = _segments.Acquire(s);
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

    private byte[] RentScanBuffer() => ArrayPool<byte>.Shared.Rent(1024 * 1024 + SegmentFormat.RecordFrameSize(_maxRecordBytes));

    /// <summary>
    /// Reads from the segment holding <paramref name="fromId"/>, up to <paramref name="toId"/> or the segment's end; returns
    /// the next id. A local sealed segment that turns out missing or damaged is healed from the archive (see
    /// <see cref="PartitionArchival.HealAsync"/>) and the read served from there.
    /// </summary>
    private ValueTask<long> ReadRangeAsync(long fromId, long toId, RecordBatchBuilder builder, long maxBytes, CancellationToken cancellationToken)
    {
        var mark = builder.Count;
        for (var attempt = 0; ; attempt++)
        {
            var located = _segments.Locate(fromId);
            try
            {
                if (located.Sealed is { } s)
                {
                    using var lease = _segments.Acquire(s);
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

            return _catalog.RemoteRow(fromId) is { } row ? ReadFetchedAsync(row, fromId, toId, builder, maxBytes, cancellationToken) : throw MissingSegment(fromId);
        }
    }

    /// <summary>Whether a read of a local sealed segment failed because the file is gone, cut short or damaged.</summary>
    private static bool IsLocalSegmentFailure(Exception e) => e is SegmentCorruptedException or IOException or UnauthorizedAccessException;

    private async ValueTask<long> HealAndReadAsync(SealedSegment damaged, Exception failure, long fromId, long toId, RecordBatchBuilder builder, long maxBytes, CancellationToken cancellationToken)
    {
        if (!await _archival.HealAsync(damaged, failure, cancellationToken).ConfigureAwait(false))
        {
            throw failure as SegmentCorruptedException ?? new SegmentCorruptedException(damaged.Path, damaged.BaseId, failure.Message);
        }

        return await ReadRangeAsync(fromId, toId, builder, maxBytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads from a segment that lives only in the archive, through the read cache (served while it streams in).</summary>
    private ValueTask<long> ReadFetchedAsync(SegmentInfo row, long fromId, long toId, RecordBatchBuilder builder, long maxBytes, CancellationToken cancellationToken) =>
        _cache.ReadAsync(row, fromId, toId, builder, maxBytes, cancellationToken);

    /// <summary>Checks where a read starts and returns the highest visible id.</summary>
    private long CheckReadStart(long fromId, bool includeUndurable)
    {
        if (_writer.CurrentState == PartitionState.Closed)
        {
            throw new ObjectDisposedException(nameof(PartitionLog), $"Partition '{_dir.FullName}' is closed.");
        }

        var last = Volatile.Read(ref _writer.LastId);
        var upper = includeUndurable ? last : Math.Min(last, Volatile.Read(ref _writer.DurableId));
        if (fromId > last + 1)
        {
            throw new ReadBeyondTailException(fromId, last + 1);
        }

        var first = _catalog.FirstId;
        if (fromId < first)
        {
            throw new RecordTrimmedException(fromId, first);
        }

        return upper;
    }

    private long SegmentFloor(long id)
    {
        var located = _segments.Locate(id);
        return located.Sealed?.BaseId ?? located.Active?.BaseId ?? _catalog.RemoteRow(id)?.BaseId ?? id;
    }

    private AppendLogException MissingSegment(long id)
    {
        foreach (var row in _catalog.Snapshot())
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
}
