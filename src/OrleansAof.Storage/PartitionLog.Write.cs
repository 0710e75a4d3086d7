using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.Internal;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage;

public sealed partial class PartitionLog
{
    private const long NoExpectation = long.MinValue;
    private const long WriteBackStep = 1024 * 1024;
    private const long WriteBackPage = 4096;
    private const int SealReserveFixed = SegmentMetadata.Size + BinaryIndexHeader.Size + SegmentFooter.Size;

    private enum WriteOutcome
    {
        Written,
        Backpressure,
    }

    private interface IPayloads
    {
        int Count { get; }

        ReadOnlySpan<byte> Get(int index);
    }

    /// <summary>
    /// Appends one record. The returned task completes once the record is written to the operating system, and under
    /// <see cref="FlushPolicyKind.Sync"/> once it is durable too (group commit). Steady-state calls allocate nothing.
    /// </summary>
    /// <param name="payload">The record's bytes (at most <see cref="PartitionLogOptions.MaxRecordBytes"/>).</param>
    /// <param name="expectedLastId">When set, the append happens only if the partition's last id is this value (-1 for an empty partition).</param>
    /// <param name="cancellationToken">Stops waiting for durability; the record stays written.</param>
    /// <exception cref="RecordTooLargeException">The payload is too large.</exception>
    /// <exception cref="ExpectedLastIdMismatchException">The last id differs from <paramref name="expectedLastId"/>.</exception>
    /// <exception cref="LogBackpressureException">Too many bytes are unflushed and <see cref="BackpressureMode.FailFast"/> is set.</exception>
    /// <exception cref="PartitionFaultedException">The partition stopped after an I/O error.</exception>
    public ValueTask<AppendResult> AppendAsync(ReadOnlyMemory<byte> payload, long? expectedLastId = null, CancellationToken cancellationToken = default)
        => AppendAsync(payload, expectedLastId, producer: null, cancellationToken);

    /// <summary>Appends one record, idempotently when <paramref name="producer"/> is set (see <see cref="ProducerStamp"/>).</summary>
    /// <exception cref="StaleSequenceException">The stamp is older than the producer's last acknowledged batch.</exception>
    /// <inheritdoc cref="AppendAsync(ReadOnlyMemory{byte}, long?, CancellationToken)"/>
    public ValueTask<AppendResult> AppendAsync(ReadOnlyMemory<byte> payload, long? expectedLastId, ProducerStamp? producer, CancellationToken cancellationToken = default)
    {
        var activity = StorageTelemetry.StartAppend(Log, Partition, 1);
        try
        {
            return StorageTelemetry.EndAppend(activity, AppendCoreAsync(payload, expectedLastId, producer, cancellationToken));
        }
        catch (Exception e)
        {
            StorageTelemetry.Fail(activity, e);
            throw;
        }
    }

    private ValueTask<AppendResult> AppendCoreAsync(ReadOnlyMemory<byte> payload, long? expectedLastId, ProducerStamp? producer, CancellationToken cancellationToken)
    {
        if (producer is not null)
        {
            return AppendBatchCoreAsync([payload], expectedLastId, producer, cancellationToken);
        }

        var source = new SinglePayload(payload.Span);
        var outcome = TryWrite(ref source, expectedLastId ?? NoExpectation, null, allowWait: _options.BackpressureMode == BackpressureMode.Wait, out var result, out var wait);
        if (outcome == WriteOutcome.Written)
        {
            return wait is null ? new ValueTask<AppendResult>(result) : AwaitDurableAsync(result, wait, cancellationToken);
        }

        return AppendAfterBackpressureAsync([payload], expectedLastId ?? NoExpectation, null, wait!, cancellationToken);
    }

    /// <summary>
    /// Appends records with consecutive ids in one write. A batch is atomic under recovery: after a crash either all of it
    /// is present or none of it.
    /// </summary>
    /// <exception cref="EmptyBatchException">The batch is empty.</exception>
    /// <exception cref="BatchTooLargeException">The batch would not fit in one segment.</exception>
    /// <inheritdoc cref="AppendAsync(ReadOnlyMemory{byte}, long?, CancellationToken)"/>
    public ValueTask<AppendResult> AppendBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> payloads, long? expectedLastId = null, CancellationToken cancellationToken = default)
        => AppendBatchAsync(payloads, expectedLastId, producer: null, cancellationToken);

    /// <summary>Appends a batch, idempotently when <paramref name="producer"/> is set (see <see cref="ProducerStamp"/>).</summary>
    /// <exception cref="StaleSequenceException">The stamp is older than the producer's last acknowledged batch.</exception>
    /// <inheritdoc cref="AppendBatchAsync(IReadOnlyList{ReadOnlyMemory{byte}}, long?, CancellationToken)"/>
    public ValueTask<AppendResult> AppendBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> payloads, long? expectedLastId, ProducerStamp? producer, CancellationToken cancellationToken = default)
    {
        var activity = StorageTelemetry.StartAppend(Log, Partition, payloads?.Count ?? 0);
        try
        {
            return StorageTelemetry.EndAppend(activity, AppendBatchCoreAsync(payloads!, expectedLastId, producer, cancellationToken));
        }
        catch (Exception e)
        {
            StorageTelemetry.Fail(activity, e);
            throw;
        }
    }

    private ValueTask<AppendResult> AppendBatchCoreAsync(IReadOnlyList<ReadOnlyMemory<byte>> payloads, long? expectedLastId, ProducerStamp? producer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        var array = payloads as ReadOnlyMemory<byte>[] ?? [.. payloads];
        var source = new MemoryPayloads(array);
        var outcome = TryWrite(ref source, expectedLastId ?? NoExpectation, producer, allowWait: _options.BackpressureMode == BackpressureMode.Wait, out var result, out var wait);
        if (outcome == WriteOutcome.Written)
        {
            return wait is null ? new ValueTask<AppendResult>(result) : AwaitDurableAsync(result, wait, cancellationToken);
        }

        return AppendAfterBackpressureAsync(array, expectedLastId ?? NoExpectation, producer, wait!, cancellationToken);
    }

    /// <summary>
    /// Appends one record and returns once it is written to the operating system, without waiting for durability under
    /// any policy (use <see cref="WaitForDurableAsync"/>). Backpressure always fails fast here.
    /// </summary>
    /// <inheritdoc cref="AppendAsync(ReadOnlyMemory{byte}, long?, CancellationToken)"/>
    public AppendResult Append(ReadOnlySpan<byte> payload, long? expectedLastId = null)
    {
        var source = new SinglePayload(payload);
        TryWrite(ref source, expectedLastId ?? NoExpectation, null, allowWait: false, out var result, out _, awaitable: false);
        return result;
    }

    /// <summary>Makes everything appended so far durable; returns the durable id.</summary>
    /// <exception cref="PartitionFaultedException">The flush failed or the partition is faulted.</exception>
    public async ValueTask<long> FlushAsync(CancellationToken cancellationToken = default)
    {
        Task wait;
        lock (_writeLock)
        {
            ThrowIfNotWritable();
            if (_lastId <= _durableId)
            {
                return _durableId;
            }

            wait = _pendingRecords > 0 ? _pendingGate.Task : _inflightGate?.Task ?? Task.CompletedTask;
            RequestFlush(FlushTrigger.Forced);
        }

        await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        return DurableId;
    }

    /// <summary>Completes when id <paramref name="id"/> is durable (does not start a flush).</summary>
    /// <exception cref="InvalidRangeException"><paramref name="id"/> is not written yet.</exception>
    /// <exception cref="PartitionFaultedException">The flush that would cover it failed.</exception>
    public async ValueTask WaitForDurableAsync(long id, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task wait;
            lock (_writeLock)
            {
                if (id <= _durableId)
                {
                    return;
                }

                if (id > _lastId)
                {
                    throw new InvalidRangeException($"Id {id} is not written yet; the last id is {_lastId}.");
                }

                ThrowIfNotWritable();
                wait = _inflightGate is { } inflight && _inflightLastId >= id ? inflight.Task : _pendingGate.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Completes with the durable id once it is greater than <paramref name="knownDurableId"/> (or the partition closes).</summary>
    public async ValueTask<long> WaitForDurableAdvanceAsync(long knownDurableId, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task wait;
            lock (_writeLock)
            {
                if (_durableId > knownDurableId || _state == PartitionState.Closed)
                {
                    return _durableId;
                }

                wait = _durableAdvanced.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Seals the active segment (metadata, index, footer, fsync) and starts the next one. Returns the sealed segment, or null when the active one is empty.</summary>
    public Task<SegmentInfo?> SealAsync(CancellationToken cancellationToken = default) => Task.Run(
        () =>
        {
            lock (_flushLock)
            {
                lock (_writeLock)
                {
                    ThrowIfNotWritable();
                    if (_active.Count == 0)
                    {
                        return null;
                    }

                    return (SegmentInfo?)PartitionRecovery.SealedRow(SealActiveLocked(openNext: true), SegmentStatus.Sealed);
                }
            }
        },
        cancellationToken);

    /// <summary>Switches the flush policy; the switch is a flush boundary (everything before it is flushed).</summary>
    public async ValueTask SetFlushPolicyAsync(FlushPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        lock (_writeLock)
        {
            ThrowIfNotWritable();
            _policy = policy;
            ConfigureTimers();
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<AppendResult> AwaitDurableAsync(AppendResult result, Task durable, CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            await durable.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await durable.ConfigureAwait(false);
        }

        return result with { IsDurable = true };
    }

    private async ValueTask<AppendResult> AppendAfterBackpressureAsync(ReadOnlyMemory<byte>[] payloads, long expected, ProducerStamp? producer, Task wait, CancellationToken cancellationToken)
    {
        while (true)
        {
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            var source = new MemoryPayloads(payloads);
            if (TryWrite(ref source, expected, producer, allowWait: true, out var result, out var next) == WriteOutcome.Written)
            {
                return next is null ? result : await AwaitDurableAsync(result, next, cancellationToken).ConfigureAwait(false);
            }

            wait = next!;
        }
    }

    private WriteOutcome TryWrite<T>(ref T payloads, long expected, ProducerStamp? stamp, bool allowWait, out AppendResult result, out Task? wait, bool awaitable = true)
        where T : IPayloads, allows ref struct
    {
        var n = payloads.Count;
        if (n == 0)
        {
            throw new EmptyBatchException();
        }

        long frames = stamp is null ? 0 : ProducerStampFrame.Size;
        for (var i = 0; i < n; i++)
        {
            var length = payloads.Get(i).Length;
            if (length > _options.MaxRecordBytes)
            {
                throw new RecordTooLargeException(length, _options.MaxRecordBytes);
            }

            frames += SegmentFormat.RecordFrameSize(length);
        }

        var largest = _options.MaxSegmentBytes - SegmentHeader.Size - FlushCheckpoint.Size - SealReserve(0);
        if (frames + (n * (long)BinaryIndexHeader.EntrySize) > largest)
        {
            throw new BatchTooLargeException(n, frames, largest);
        }

        Span<uint> crcs = n <= 128 ? stackalloc uint[n] : new uint[n];
        for (var i = 0; i < n; i++)
        {
            crcs[i] = Crc32C.Compute(payloads.Get(i));
        }

        while (true)
        {
            result = default;
            wait = null;
            var written = false;
            IStorageFile? writeBackFile = null;
            long writeBackFrom = 0, writeBackTo = 0;
            lock (_writeLock)
            {
                ThrowIfNotWritable();
                if (stamp is { } st && _producers.TryGetValue(st.ProducerId, out var known) && st.Sequence <= known.Sequence)
                {
                    if (st.Sequence < known.Sequence)
                    {
                        throw new StaleSequenceException(st.ProducerId, st.Sequence, known.Sequence);
                    }

                    var durable = known.LastId <= _durableId;
                    result = new AppendResult(known.FirstId, known.LastId, durable, IsDuplicate: true);
                    wait = durable || _policy.Kind != FlushPolicyKind.Sync ? null
                        : _inflightGate is { } inflight && _inflightLastId >= known.LastId ? inflight.Task : _pendingGate.Task;
                    if (wait is not null)
                    {
                        RequestFlush(FlushTrigger.Sync);
                    }

                    return WriteOutcome.Written;
                }

                if (_environment.Archive is not null)
                {
                    ThrowIfArchiveBacklogFull();
                }

                if (expected != NoExpectation && expected != _lastId)
                {
                    throw new ExpectedLastIdMismatchException(expected, _lastId);
                }

                if (_ids is { } ids && !ids.Covers(_lastId + n, out var reserving))
                {
                    // No id past the recorded bound is handed out: wait for the store to record a higher one (only the
                    // synchronous Append cannot wait; this is not memory pressure, so FailFast does not apply).
                    if (!awaitable)
                    {
                        throw new LogBackpressureException(BackpressureReason.IdReservation, Invariant($"ids past {ids.ReservedThrough} are being reserved."), TimeSpan.FromMilliseconds(5));
                    }

                    wait = reserving;
                    result = default;
                    return WriteOutcome.Backpressure;
                }

                if (_unflushedBytes > 0 && _unflushedBytes + frames > _options.MaxUnflushedBytes)
                {
                    StorageInstruments.RecordBackpressure(BackpressureReason.UnflushedBytes);
                    wait = _pendingRecords > 0 ? _pendingGate.Task : _inflightGate?.Task ?? Task.CompletedTask;
                    RequestFlush(FlushTrigger.Forced);
                    if (!allowWait)
                    {
                        throw new LogBackpressureException(
                            BackpressureReason.UnflushedBytes,
                            Invariant($"{_unflushedBytes} bytes are written but not flushed; the bound is {_options.MaxUnflushedBytes} (PartitionLogOptions.MaxUnflushedBytes)."),
                            TimeSpan.FromMilliseconds(5));
                    }

                    result = default;
                    return WriteOutcome.Backpressure;
                }

                var segment = _active;
                if (!NeedsRoll(segment, frames, n))
                {
                    result = WriteLocked(segment, ref payloads, crcs, frames, stamp);
                    written = true;
                    if (_policy.Kind == FlushPolicyKind.Sync)
                    {
                        wait = _pendingGate.Task;
                    }
                    else if (_policy.Kind is FlushPolicyKind.Batched or FlushPolicyKind.BatchedOrPeriodic && _pendingRecords >= _policy.Records)
                    {
                        RequestFlush(FlushTrigger.Batched);
                    }

                    if (_policy.Kind != FlushPolicyKind.Sync && segment.WriteOffset - segment.WriteBackStarted >= WriteBackStep)
                    {
                        // Start write-back of the whole pages written since the last hint, so that the disk works while
                        // appends go on and the next fsync finds little left to write.
                        writeBackFile = segment.File;
                        writeBackFrom = segment.WriteBackStarted;
                        writeBackTo = segment.WriteOffset & ~(WriteBackPage - 1);
                        segment.WriteBackStarted = writeBackTo;
                    }

                    MaybePreallocate(segment);
                }
            }

            writeBackFile?.StartWriteBack(writeBackFrom, writeBackTo - writeBackFrom);
            if (written)
            {
                if (wait is not null && FlushInline(wait))
                {
                    result = result with { IsDurable = true };
                    wait = null;
                }

                return WriteOutcome.Written;
            }

            Roll(frames, n);
        }
    }

    private AppendResult WriteLocked<T>(ActiveSegment segment, scoped ref T payloads, scoped ReadOnlySpan<uint> crcs, long frames, ProducerStamp? stamp)
        where T : IPayloads, allows ref struct
    {
        var n = payloads.Count;
        var firstId = _lastId + 1;
        var now = Math.Max(NowMicros(), _lastTimestampMicros);
        var ack = _policy.Kind == FlushPolicyKind.Sync ? RecordFlags.None : RecordFlags.AcknowledgedOnWrite;
        var start = segment.WriteOffset;
        var bufferStart = start;
        var used = 0;
        var previous = segment.LastRecordStart;
        var rolling = segment.Rolling;
        long payloadBytes = 0;
        var stampBytes = 0;
        try
        {
            if (stamp is { } st)
            {
                new ProducerStampFrame(st.ProducerId, st.Sequence, firstId).WriteTo(_scratch);
                stampBytes = ProducerStampFrame.Size;
                used = stampBytes;
            }

            for (var i = 0; i < n; i++)
            {
                var payload = payloads.Get(i);
                var frame = SegmentFormat.RecordFrameSize(payload.Length);
                if (used + frame > _scratch.Length)
                {
                    segment.File.Write(bufferStart, _scratch.AsSpan(0, used));
                    bufferStart += used;
                    used = 0;
                }

                var span = _scratch.AsSpan(used, frame);
                var flags = ack | (i < n - 1 ? RecordFlags.BatchContinues : RecordFlags.None);
                RecordHeader.WriteBody(span, payload.Length, flags, firstId + i, now);
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

            segment.File.Write(bufferStart, _scratch.AsSpan(0, used));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            FaultLocked(e, "a write failed: " + e.Message);
            throw new PartitionFaultedException(_dir.FullName, _faultReason!, e);
        }

        var pos = start + stampBytes;
        if (segment.Count == 0)
        {
            segment.FirstTimestampMicros = now;
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
        segment.LastTimestampMicros = now;
        _lastTimestampMicros = now;
        _pendingRecords += n;
        _unflushedBytes += frames;
        var lastId = firstId + n - 1;
        Volatile.Write(ref _lastId, lastId);
        if (stamp is { } s)
        {
            RememberProducer(new ProducerEntry(s.ProducerId, s.Sequence, firstId, lastId));
        }

        StorageInstruments.RecordAppend(n, payloadBytes);
        return new AppendResult(firstId, lastId, false);
    }

    /// <summary>
    /// Makes a <c>Sync</c> append durable: on the calling thread when no flush is running and
    /// <see cref="PartitionLogOptions.FlushOnCallerThread"/> allows it (returns true once <paramref name="gate"/> completed),
    /// otherwise by handing the flush to the flusher (returns false; the caller awaits <paramref name="gate"/>).
    /// </summary>
    private bool FlushInline(Task gate)
    {
        // Inline only while appends come one at a time: when the last flush covered several records, concurrent
        // appenders are sharing fsyncs and the flusher serves them better than a blocked caller thread.
        if (!_options.FlushOnCallerThread || Volatile.Read(ref _lastFlushRecords) > 1 || !_flushLock.TryEnter())
        {
            RequestFlush(FlushTrigger.Sync);
            return false;
        }

        try
        {
            FlushOnce(FlushTrigger.Sync);
        }
        finally
        {
            _flushLock.Exit();
        }

        if (Volatile.Read(ref _pendingRecords) > 0)
        {
            // Appends that arrived during this fsync share the next one.
            RequestFlush(FlushTrigger.Sync);
        }

        if (gate.IsCompletedSuccessfully)
        {
            return true;
        }

        if (!gate.IsCompleted)
        {
            RequestFlush(FlushTrigger.Sync);
        }

        return false;
    }

    private static long SealReserve(long records) => SealReserveFixed + ProducerTable.HeaderSize + (records * BinaryIndexHeader.EntrySize);

    private bool NeedsRoll(ActiveSegment segment, long frames, int records) =>
        segment.Count > 0
        && (segment.WriteOffset + frames + FlushCheckpoint.Size + SealReserve(segment.Count + records) + ((_producers.Count + 1L) * ProducerTable.EntrySize) > _options.MaxSegmentBytes
            || SegmentTooOld(segment));

    private void RememberProducer(ProducerEntry entry)
    {
        _producers[entry.ProducerId] = entry;
        if (_producers.Count <= _options.MaxProducers)
        {
            return;
        }

        var oldest = entry;
        foreach (var p in _producers.Values)
        {
            if (p.LastId < oldest.LastId)
            {
                oldest = p;
            }
        }

        _producers.Remove(oldest.ProducerId);
    }

    private void Roll(long frames, int records)
    {
        lock (_flushLock)
        {
            lock (_writeLock)
            {
                ThrowIfNotWritable();
                if (NeedsRoll(_active, frames, records))
                {
                    SealActiveLocked(openNext: true);
                }
            }
        }
    }

    /// <summary>Seals the active segment and optionally opens the next. The caller holds both locks.</summary>
    private SealedSegment SealActiveLocked(bool openNext)
    {
        using var activity = StorageTelemetry.StartSeal(Log, Partition, _active.BaseId, _active.LastId, WriterEpoch);
        var segment = _active;
        var path = _dir.SegmentPath(segment.BaseId);
        var records = _pendingRecords;
        var bytes = _unflushedBytes;
        var started = _time.GetTimestamp();
        SealedSegment sealedSegment;
        try
        {
            sealedSegment = SegmentFiles.Seal(segment, NowMicros(), path, _producers);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _metrics.Record(FlushTrigger.Forced, false, _time.GetElapsedTime(started), 0, 0);
            FaultLocked(e, "sealing a segment failed: " + e.Message);
            throw new PartitionFaultedException(_dir.FullName, _faultReason!, e);
        }

        _metrics.Record(FlushTrigger.Forced, true, _time.GetElapsedTime(started), records, bytes);
        sealedSegment.Adopt(segment.File, segment.Offsets.ToArray());
        _sealed = [.. _sealed, sealedSegment];
        Volatile.Write(ref _durableId, segment.LastId);
        _pendingRecords = 0;
        _unflushedBytes = 0;
        var gate = _pendingGate;
        _pendingGate = NewGate();
        gate.TrySetResult();
        TrackOpenReader(sealedSegment);
        StorageInstruments.RecordSeal();
        var sealedRow = UpdateRow(PartitionRecovery.SealedRow(sealedSegment, SegmentStatus.Sealed));
        if (_environment.SegmentSealed is { } onSealed)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => NotifySealed(s.Callback, s.Row), (Callback: onSealed, Row: sealedRow), preferLocal: false);
        }

        if (openNext)
        {
            var header = new SegmentHeader(SegmentFormat.Version, 0, SegmentFormat.PartitionHash(_dir.FullName), segment.LastId + 1, NowMicros(), WriterEpoch);
            try
            {
                _active = SegmentFiles.CreateActive(_fs, _dir, header, _options, TakePreallocated());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                FaultLocked(e, "creating the next segment failed: " + e.Message);
                throw new PartitionFaultedException(_dir.FullName, _faultReason!, e);
            }

            TryCatalog(c => c.Upsert(ActiveInfo(_active)));
        }

        SignalDurableAdvancedLocked();
        return sealedSegment;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031", Justification = "A failing notification callback must not take down the process; the seal itself succeeded.")]
    private static void NotifySealed(Action<SegmentInfo> callback, SegmentInfo row)
    {
        try
        {
            callback(row);
        }
        catch (Exception)
        {
            // Documented on PartitionLogEnvironment.SegmentSealed: ignored.
        }
    }

    private void FlushLoopAsyncBody(FlushTrigger trigger)
    {
        using var activity = StorageTelemetry.StartFlush(Log, Partition, trigger);
        lock (_flushLock)
        {
            FlushOnce(trigger);
        }
    }

    private async Task FlushLoopAsync()
    {
        var reader = _flushSignal.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            reader.TryRead(out _);
            var bits = Interlocked.Exchange(ref _requestedTriggers, 0);
            if (bits == 0)
            {
                // A request sets its bit before it signals, so the previous round can take a bit whose signal is still to
                // come: that round's flush already served it. Flushing again would be a spurious flush counted as periodic.
                continue;
            }

            FlushLoopAsyncBody(TriggerOf(bits));
        }
    }

    private static FlushTrigger TriggerOf(int bits) =>
        (bits & (1 << (int)FlushTrigger.Forced)) != 0 ? FlushTrigger.Forced
        : (bits & (1 << (int)FlushTrigger.Sync)) != 0 ? FlushTrigger.Sync
        : (bits & (1 << (int)FlushTrigger.Batched)) != 0 ? FlushTrigger.Batched
        : FlushTrigger.Periodic;

    private void RequestFlush(FlushTrigger trigger)
    {
        Interlocked.Or(ref _requestedTriggers, 1 << (int)trigger);
        _flushSignal.Writer.TryWrite(true);
    }

    /// <summary>Writes a checkpoint and fsyncs the active segment. The caller holds <see cref="_flushLock"/>.</summary>
    private void FlushOnce(FlushTrigger trigger)
    {
        TaskCompletionSource gate;
        long lastId;
        long records;
        long bytes;
        long checkpointOffset;
        ActiveSegment segment;
        var started = _time.GetTimestamp();
        lock (_writeLock)
        {
            if (_state != PartitionState.Open || _pendingRecords == 0)
            {
                return;
            }

            segment = _active;
            checkpointOffset = segment.WriteOffset;
            Span<byte> bytesOfCheckpoint = stackalloc byte[FlushCheckpoint.Size];
            new FlushCheckpoint(checkpointOffset, segment.LastId, segment.Count, segment.Rolling, NowMicros()).WriteTo(bytesOfCheckpoint);
            try
            {
                segment.File.Write(checkpointOffset, bytesOfCheckpoint);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _metrics.Record(trigger, false, _time.GetElapsedTime(started), 0, 0);
                FaultLocked(e, "writing a checkpoint failed: " + e.Message);
                return;
            }

            segment.WriteOffset = checkpointOffset + FlushCheckpoint.Size;
            gate = _pendingGate;
            _pendingGate = NewGate();
            _inflightGate = gate;
            _inflightLastId = segment.LastId;
            lastId = segment.LastId;
            records = _pendingRecords;
            bytes = _unflushedBytes + FlushCheckpoint.Size;
            _pendingRecords = 0;
            _unflushedBytes = 0;
        }

        try
        {
            segment.File.Flush(dataOnly: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _metrics.Record(trigger, false, _time.GetElapsedTime(started), 0, 0);
            lock (_writeLock)
            {
                FaultLocked(e, "fsync failed: " + e.Message);
            }

            return;
        }

        var elapsed = _time.GetElapsedTime(started);
        lock (_writeLock)
        {
            Volatile.Write(ref _durableId, Math.Max(_durableId, lastId));
            _inflightGate = null;
            _inflightLastId = -1;
            SignalDurableAdvancedLocked();
        }

        Volatile.Write(ref _lastFlushRecords, records);
        _metrics.Record(trigger, true, elapsed, records, bytes);
        gate.TrySetResult();
    }

    private void SignalDurableAdvancedLocked()
    {
        var advanced = _durableAdvanced;
        _durableAdvanced = NewGate();
        advanced.TrySetResult();
    }

    private void FaultLocked(Exception? cause, string reason)
    {
        if (_state != PartitionState.Open)
        {
            return;
        }

        _state = PartitionState.Faulted;
        _faultReason = reason;
        var error = new PartitionFaultedException(_dir.FullName, reason, cause);
        _fault = error;
        _pendingGate.TrySetException(error);
        _inflightGate?.TrySetException(error);
        _pendingGate = NewGate();
        _pendingGate.TrySetException(error);
        _ = _pendingGate.Task.Exception;
        SignalDurableAdvancedLocked();
        LogFaulted(_logger, _dir.FullName, reason, cause);
    }

    private void ThrowIfNotWritable()
    {
        if (_closing || _state == PartitionState.Closed)
        {
            throw new ObjectDisposedException(nameof(PartitionLog), $"Partition '{_dir.FullName}' is closed.");
        }

        if (_state == PartitionState.Faulted)
        {
            throw new PartitionFaultedException(_dir.FullName, _faultReason!, _fault?.InnerException);
        }
    }

    private void TryCatalog(Action<Catalog.SegmentCatalog> update)
    {
        try
        {
            update(_catalog);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            // The catalog is a cache of the segment files; the next open reconciles it.
            LogCatalogRebuilt(_logger, _dir.FullName, "not updated (" + e.Message + ")");
        }
    }

    private void MaybePreallocate(ActiveSegment segment)
    {
        if (_options.Preallocation == PreallocationMode.None || segment.PreallocationStarted || _preallocation is not null
            || segment.WriteOffset < _options.MaxSegmentBytes * _options.PreallocateAt)
        {
            return;
        }

        segment.PreallocationStarted = true;
        var mode = _options.Preallocation != PreallocationMode.Auto ? _options.Preallocation
            : _policy.Kind == FlushPolicyKind.Sync ? PreallocationMode.ZeroFill : PreallocationMode.Reserve;
        _preallocation = StartPreallocation(_dir.PreallocatedFile, _options.MaxSegmentBytes, mode, _shutdown.Token);
    }

    // A method of its own: the closure a lambda captures is allocated on entry to the scope that declares the captured
    // variables, so inside MaybePreallocate (called by every append) it cost 56 bytes per append.
    private Task StartPreallocation(string path, long size, PreallocationMode mode, CancellationToken token) =>
        Task.Run(() => Preallocate(path, size, mode, token), token);

    private void Preallocate(string path, long size, PreallocationMode mode, CancellationToken token)
    {
        try
        {
            using (var file = _fs.OpenFile(path, FileMode.Create, FileAccess.Write, FileShare.None, mode == PreallocationMode.Reserve ? size : 0))
            {
                if (mode == PreallocationMode.ZeroFill)
                {
                    var zeros = new byte[(int)Math.Min(size, 1024 * 1024)];
                    for (long pos = 0; pos < size; pos += zeros.Length)
                    {
                        token.ThrowIfCancellationRequested();
                        file.Write(pos, zeros.AsSpan(0, (int)Math.Min(zeros.Length, size - pos)));
                    }
                }

                file.Flush(dataOnly: false);
            }

            _fs.FlushDirectory(_dir.Segments);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogPreallocationFailed(_logger, _dir.FullName, e);
            throw;
        }
    }

    private string? TakePreallocated()
    {
        var task = _preallocation;
        if (task is null || !task.IsCompleted)
        {
            return null;
        }

        _preallocation = null;
        return task.IsCompletedSuccessfully && _fs.FileExists(_dir.PreallocatedFile) ? _dir.PreallocatedFile : null;
    }

    private readonly ref struct SinglePayload(ReadOnlySpan<byte> payload) : IPayloads
    {
        private readonly ReadOnlySpan<byte> _payload = payload;

        public int Count => 1;

        public ReadOnlySpan<byte> Get(int index) => _payload;
    }

    private readonly struct MemoryPayloads(ReadOnlyMemory<byte>[] payloads) : IPayloads
    {
        public int Count => payloads.Length;

        public ReadOnlySpan<byte> Get(int index) => payloads[index].Span;
    }
}
