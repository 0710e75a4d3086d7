using System.Buffers.Binary;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// The replication follower path: records at ids a leader chose, and cutting an uncommitted suffix of the active segment
/// (docs/replication.md, "The engine as a replica log"). Only the replica log store calls it; the R = 1 path never does.
/// Each call holds the flush lock for its whole length, so it is ordered with group commits and seals; a replicated
/// partition takes no other appends.
/// </summary>
internal sealed partial class ActiveSegmentWriter
{
    private const int ZeroChunk = 64 * 1024;

    // The record frames (without checkpoints) of the active segment, for the leader's rollover rule; recomputed from the
    // file when the active segment changed under it (a seal, an install) or after a truncation.
    private ActiveSegment? _framesOf;
    private long _activeRecordFrames;

    /// <summary>
    /// Writes one record at <paramref name="id"/>, which must be the next id. With <paramref name="startsSegment"/> the
    /// active segment is sealed first (when it holds records) and the record opens the next one. The record is flagged
    /// <see cref="RecordFlags.AcknowledgedOnWrite"/>: recovery may keep it without a checkpoint. Not durable until
    /// <see cref="FlushReplicated"/>.
    /// </summary>
    /// <exception cref="ReplicaAppendOutOfOrderException"><paramref name="id"/> is not the next id.</exception>
    /// <exception cref="ReplicaSegmentFullException">The record does not fit the active segment.</exception>
    /// <exception cref="RecordTooLargeException">The payload is too large.</exception>
    /// <exception cref="PartitionFaultedException">The partition stopped after an I/O error.</exception>
    public void AppendReplicated(long id, ReadOnlySpan<byte> payload, bool startsSegment)
    {
        var source = new SinglePayload(payload);
        var frames = RecordFrameWriter.Measure(ref source, stamped: false, _options.MaxRecordBytes, _options.MaxSegmentBytes);
        Span<uint> crcs = [Crc32C.Compute(payload)];
        lock (_commit.FlushLock)
        {
            bool roll;
            lock (_state.Sync)
            {
                _state.ThrowIfNotWritable();
                ThrowIfNotNext(id);
                roll = startsSegment && _segments.Active.Count > 0;
            }

            if (roll)
            {
                _sealer.SealActive(openNext: true, closing: false, _producers);
            }

            lock (_state.Sync)
            {
                _state.ThrowIfNotWritable();
                ThrowIfNotNext(id);
                var segment = _segments.Active;
                if (segment.Count > 0 && Overflows(segment, frames, 1))
                {
                    throw new ReplicaSegmentFullException(id, _options.MaxSegmentBytes);
                }

                WriteLocked(segment, ref source, crcs, frames, stamp: null, replicated: true);
                if (ReferenceEquals(_framesOf, segment))
                {
                    _activeRecordFrames += frames;
                }
            }
        }
    }

    /// <summary>
    /// The leader's rollover rule: whether a replicated record of <paramref name="payloadLength"/> bytes fits the active
    /// segment on every replica of the log, whatever their flushes. Each replica's segment holds the same records but its own
    /// flush checkpoints, at most one after each record (a flush writes one only when records are pending), so the rule
    /// counts one checkpoint per record: the record frames, a checkpoint per record, the seal's structures and the producer
    /// table must stay within <see cref="PartitionLogOptions.MaxSegmentBytes"/>. An empty segment takes any record. Every
    /// replica's <see cref="AppendReplicated"/> then fits a record the leader placed, as long as the replicas share the option.
    /// </summary>
    /// <exception cref="PartitionFaultedException">The active segment could not be read.</exception>
    public bool FitsActiveReplicated(int payloadLength)
    {
        lock (_commit.FlushLock)
        {
            ActiveSegment segment;
            int count;
            lock (_state.Sync)
            {
                segment = _segments.Active;
                count = segment.Count;
            }

            if (count == 0)
            {
                return true;
            }

            if (!ReferenceEquals(_framesOf, segment))
            {
                _activeRecordFrames = RecordFramesOf(segment, count);
                _framesOf = segment;
            }

            var need = SegmentHeader.Size + _activeRecordFrames + SegmentFormat.RecordFrameSize(payloadLength)
                + ((count + 1L) * FlushCheckpoint.Size) + RecordFrameWriter.SealReserve(count + 1L) + ((_producers.Count + 1L) * ProducerTable.EntrySize);
            return need <= _options.MaxSegmentBytes;
        }
    }

    /// <summary>
    /// Seals the active segment where it ends and opens the next one (nothing when it is empty): before a replica installs
    /// the leader's sealed segment that starts right after it, so the boundary is the leader's. Durable when it returns.
    /// </summary>
    /// <exception cref="PartitionFaultedException">The seal failed; the partition is faulted (closing it releases it).</exception>
    public void SealReplicated()
    {
        lock (_commit.FlushLock)
        {
            _sealer.SealActive(openNext: true, closing: false, _producers);
        }
    }

    /// <summary>When the active segment was created (the leader's age rule).</summary>
    public DateTimeOffset ActiveCreatedAt
    {
        get
        {
            lock (_state.Sync)
            {
                return _segments.Active.CreatedAt;
            }
        }
    }

    /// <summary>The active segment's record count.</summary>
    public int ActiveCount
    {
        get
        {
            lock (_state.Sync)
            {
                return _segments.Active.Count;
            }
        }
    }

    /// <summary>
    /// Removes every record after <paramref name="id"/> from the active segment, durably before it returns: the checkpoints
    /// after the cut are zeroed and fsynced, then every byte from the cut to the old end, fsynced. A crash part way leaves
    /// the kept records and possibly a prefix of the removed ones (the caller's durable cut marker finishes the cut at the
    /// next open). Everything kept is durable afterwards. Does nothing when no record follows <paramref name="id"/>.
    /// </summary>
    /// <exception cref="ReplicaTruncationAcrossSealException">The cut would reach into a sealed segment; nothing changed.</exception>
    /// <exception cref="PartitionFaultedException">The partition stopped after an I/O error.</exception>
    public void TruncateReplicatedAfter(long id)
    {
        lock (_commit.FlushLock)
        {
            ActiveSegment segment;
            int keep;
            lock (_state.Sync)
            {
                _state.ThrowIfNotWritable();
                segment = _segments.Active;
                if (id < segment.BaseId - 1)
                {
                    throw new ReplicaTruncationAcrossSealException(id, segment.BaseId);
                }

                if (id >= _state.LastId)
                {
                    return;
                }

                keep = (int)(id + 1 - segment.BaseId);
            }

            // The writers all hold the flush lock: the segment's records cannot change while the kept ones are read back.
            var cut = segment.Offsets[keep];
            var oldEnd = segment.WriteOffset;
            var rolling = RollingChecksum.Empty;
            Span<byte> header = stackalloc byte[RecordHeader.Size];
            long lastEnd = 0, lastTimestamp = 0;
            var checkpoints = new List<(long From, long To)>();
            try
            {
                for (var i = 0; i < keep; i++)
                {
                    segment.File.ReadExactly(segment.Offsets[i], header);
                    rolling = RollingChecksum.Next(rolling, BinaryPrimitives.ReadUInt32LittleEndian(header[4..]));
                    lastEnd = segment.Offsets[i] + SegmentFormat.RecordFrameSize(BinaryPrimitives.ReadInt32LittleEndian(header[8..]));
                    lastTimestamp = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
                }

                // The checkpoints after the cut lie in the gaps between the removed records (and after the last one).
                var count = segment.Count;
                for (var i = keep; i < count; i++)
                {
                    segment.File.ReadExactly(segment.Offsets[i], header);
                    var end = segment.Offsets[i] + SegmentFormat.RecordFrameSize(BinaryPrimitives.ReadInt32LittleEndian(header[8..]));
                    var next = i + 1 < count ? segment.Offsets[i + 1] : oldEnd;
                    if (next > end)
                    {
                        checkpoints.Add((end, next));
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Fault(e, "reading records back for a truncation failed: ");
            }

            lock (_state.Sync)
            {
                // Readers stop at the new last id before any byte after it changes.
                segment.Offsets.Truncate(keep);
                segment.LastRecordStart = keep > 0 ? segment.Offsets[keep - 1] : -1;
                Volatile.Write(ref segment.LastRecordEnd, lastEnd);
                segment.WriteOffset = cut;
                segment.WriteBackStarted = Math.Min(segment.WriteBackStarted, cut);
                segment.Rolling = rolling;
                segment.LastTimestampMicros = lastTimestamp;
                if (keep == 0)
                {
                    segment.FirstTimestampMicros = 0;
                }

                Volatile.Write(ref _state.LastId, id);
            }

            try
            {
                // First the checkpoints after the cut, durably: recovery treats a frame it cannot read before a valid
                // checkpoint as damage, so no zeroed byte may lie before one that still vouches for the old records.
                if (checkpoints.Count > 0)
                {
                    foreach (var (from, to) in checkpoints)
                    {
                        Zero(segment, from, to);
                    }

                    segment.File.Flush(dataOnly: true);
                }

                // Then every byte from the cut to the old end: no stale frame can follow later appends. A crash part way
                // leaves a torn tail that recovery cuts back (the kept records are AcknowledgedOnWrite or checkpointed).
                Zero(segment, cut, oldEnd);
                segment.File.Flush(dataOnly: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Fault(e, "truncating the active segment failed: ");
            }

            lock (_state.Sync)
            {
                _state.SealedLocked(id);
                _state.SignalDurableAdvancedLocked();
            }

            _framesOf = null;
        }
    }

    /// <summary>One group commit on the caller's thread: everything written so far is durable when it returns.</summary>
    /// <exception cref="PartitionFaultedException">The fsync failed or the partition is faulted.</exception>
    public void FlushReplicated()
    {
        lock (_commit.FlushLock)
        {
            _commit.FlushOnce(FlushTrigger.Forced);
            lock (_state.Sync)
            {
                _state.ThrowIfNotWritable();
            }
        }
    }

    /// <summary>The first id of the active segment: every id before it is in a sealed segment.</summary>
    public long ActiveBaseId
    {
        get
        {
            lock (_state.Sync)
            {
                return _segments.Active.BaseId;
            }
        }
    }

    /// <summary>The sum of the record frames of the first <paramref name="count"/> records (under the flush lock).</summary>
    private long RecordFramesOf(ActiveSegment segment, int count)
    {
        Span<byte> header = stackalloc byte[RecordHeader.Size];
        long sum = 0;
        try
        {
            for (var i = 0; i < count; i++)
            {
                segment.File.ReadExactly(segment.Offsets[i], header);
                sum += SegmentFormat.RecordFrameSize(BinaryPrimitives.ReadInt32LittleEndian(header[8..]));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Fault(e, "reading the active segment's records failed: ");
        }

        return sum;
    }

    private static void Zero(ActiveSegment segment, long from, long to)
    {
        var zeros = new byte[(int)Math.Min(ZeroChunk, Math.Max(8, to - from))];
        for (var at = from; at < to; at += zeros.Length)
        {
            segment.File.Write(at, zeros.AsSpan(0, (int)Math.Min(zeros.Length, to - at)));
        }
    }

    private void ThrowIfNotNext(long id)
    {
        if (id != _state.LastId + 1)
        {
            throw new ReplicaAppendOutOfOrderException(id, _state.LastId);
        }
    }

    private PartitionFaultedException Fault(Exception e, string what)
    {
        lock (_state.Sync)
        {
            _state.FaultLocked(e, what + e.Message);
            return _state.FaultedError(e);
        }
    }
}
