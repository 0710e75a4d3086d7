using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// The write path of a partition: appends into the active segment, id assignment and the producer table, the group-commit
/// gates and the background flusher, backpressure, rollover into the next segment, and the partition's state (open,
/// faulted, closed). Two locks: <c>_writeLock</c> guards the append state (short sections, no fsync under it except a
/// seal's), <c>_flushLock</c> serialises flushes and seals. Lock order: flush lock, write lock, then the leaves
/// (<see cref="SegmentSet"/>, <see cref="PartitionCatalog"/>).
/// </summary>
/// <remarks>
/// The replication follower path belongs here, beside <see cref="TryWrite"/>: appending records at ids the leader chose
/// under the leader's epoch (no id reservation, no producer de-duplication, the same frames and flush gates), and cutting
/// an uncommitted suffix of the active segment back to a given id. Neither exists yet.
/// </remarks>
internal sealed partial class ActiveSegmentWriter
{
    private const long NoExpectation = long.MinValue;
    private const long WriteBackStep = 1024 * 1024;
    private const long WriteBackPage = 4096;
    private const int SealReserveFixed = SegmentMetadata.Size + BinaryIndexHeader.Size + SegmentFooter.Size;

    private readonly PartitionDirectory _dir;
    private readonly PartitionLogOptions _options;
    private readonly PartitionLogEnvironment _environment;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FlushMetrics _metrics;
    private readonly SegmentSet _segments;
    private readonly PartitionCatalog _catalog;
    private readonly PartitionArchival _archival;
    private readonly SegmentSealer _sealer;
    private readonly Lock _writeLock = new();
    private readonly Lock _flushLock = new();
    private readonly FlushRequests _flushRequests = new();
    private readonly byte[] _scratch;
    private readonly Dictionary<long, ProducerEntry> _producers;
    private readonly Task _flushLoop;
    private IdReservation? _ids;
    private FlushPolicy _policy;
    private ITimer? _periodicTimer;
    private ITimer? _maintenanceTimer;
    private long _lastId;
    private long _durableId;
    private long _lastTimestampMicros;
    private long _pendingRecords;
    private long _unflushedBytes;
    private long _lastFlushRecords;
    private TaskCompletionSource _pendingGate = NewGate();
    private TaskCompletionSource? _inflightGate;
    private long _inflightLastId = -1;
    private TaskCompletionSource _durableAdvanced = NewGate();
    private PartitionState _state = PartitionState.Open;
    private string? _faultReason;
    private Exception? _fault;
    private bool _closing;

    public ActiveSegmentWriter(RecoveredPartition recovered, ILogger logger, SegmentSet segments, PartitionCatalog catalog, PartitionArchival archival, SegmentSealer sealer)
    {
        _dir = recovered.Directory;
        _options = recovered.Options;
        _environment = recovered.Environment;
        _time = recovered.Environment.TimeProvider;
        _logger = logger;
        _metrics = new FlushMetrics(_dir.Log, _dir.Partition);
        _segments = segments;
        _catalog = catalog;
        _archival = archival;
        _sealer = sealer;
        WriterEpoch = recovered.Epoch;
        _policy = _options.FlushPolicy;
        _scratch = new byte[Math.Max(1024 * 1024, SegmentFormat.RecordFrameSize(_options.MaxRecordBytes) + FlushCheckpoint.Size)];
        _lastId = recovered.Active.LastId;
        _durableId = _lastId;
        _lastTimestampMicros = recovered.LastTimestampMicros;
        _producers = recovered.Producers;
        if (recovered.FaultReason is not null)
        {
            _state = PartitionState.Faulted;
            _faultReason = recovered.FaultReason;
        }

        ConfigureTimers();
        _flushLoop = Task.Run(() => _flushRequests.RunAsync(FlushUnderLock));
    }

    public enum WriteOutcome
    {
        Written,
        Backpressure,
    }

    public long WriterEpoch { get; }

    public PartitionState State
    {
        get
        {
            lock (_writeLock)
            {
                return _state;
            }
        }
    }

    public string? FaultReason
    {
        get
        {
            lock (_writeLock)
            {
                return _faultReason;
            }
        }
    }

    public long LastId => Volatile.Read(ref _lastId);

    public long DurableId => Volatile.Read(ref _durableId);

    public FlushPolicy FlushPolicy
    {
        get
        {
            lock (_writeLock)
            {
                return _policy;
            }
        }
    }

    /// <summary>Hands out ids only within the bound recorded in <paramref name="ids"/> from now on.</summary>
    public void UseIdReservation(IdReservation ids) => _ids = ids;

    /// <inheritdoc cref="PartitionLog.ReleaseIdReservationAsync"/>
    public async Task ReleaseIdReservationAsync(CancellationToken cancellationToken)
    {
        if (_ids is { } ids)
        {
            await ids.SetAsync(LastId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A snapshot of the partition: the rows of <paramref name="catalog"/> plus the active segment, consistent with the ids.</summary>
    public PartitionInfo GetInfo(PartitionCatalog catalog)
    {
        lock (_writeLock)
        {
            var segments = catalog.Snapshot();
            segments.Add(ActiveInfo(_segments.Active));
            segments.Sort(static (a, b) => a.BaseId.CompareTo(b.BaseId));
            return new PartitionInfo(_dir.Log, _dir.Partition, _state, _faultReason, catalog.FirstId, _lastId, _durableId, WriterEpoch, _policy, segments);
        }
    }

    public FlushMetricsSnapshot GetFlushMetrics() => _metrics.Snapshot(Volatile.Read(ref _pendingRecords), Volatile.Read(ref _unflushedBytes));

    /// <inheritdoc cref="PartitionLog.AppendAsync(ReadOnlyMemory{byte}, long?, ProducerStamp?, CancellationToken)"/>
    public ValueTask<AppendResult> AppendAsync(ReadOnlyMemory<byte> payload, long? expectedLastId, CancellationToken cancellationToken)
    {
        var source = new SinglePayload(payload.Span);
        var outcome = TryWrite(ref source, expectedLastId ?? NoExpectation, null, allowWait: _options.BackpressureMode == BackpressureMode.Wait, out var result, out var wait);
        if (outcome == WriteOutcome.Written)
        {
            return wait is null ? new ValueTask<AppendResult>(result) : AwaitDurableAsync(result, wait, cancellationToken);
        }

        return AppendAfterBackpressureAsync([payload], expectedLastId ?? NoExpectation, null, wait!, cancellationToken);
    }

    /// <inheritdoc cref="PartitionLog.AppendBatchAsync(IReadOnlyList{ReadOnlyMemory{byte}}, long?, ProducerStamp?, CancellationToken)"/>
    public ValueTask<AppendResult> AppendBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> payloads, long? expectedLastId, ProducerStamp? producer, CancellationToken cancellationToken)
    {
        var array = payloads as ReadOnlyMemory<byte>[] ?? [.. payloads];
        var source = new MemoryPayloads(array);
        var outcome = TryWrite(ref source, expectedLastId ?? NoExpectation, producer, allowWait: _options.BackpressureMode == BackpressureMode.Wait, out var result, out var wait);
        if (outcome == WriteOutcome.Written)
        {
            return wait is null ? new ValueTask<AppendResult>(result) : AwaitDurableAsync(result, wait, cancellationToken);
        }

        return AppendAfterBackpressureAsync(array, expectedLastId ?? NoExpectation, producer, wait!, cancellationToken);
    }

    /// <inheritdoc cref="PartitionLog.Append"/>
    public AppendResult Append(ReadOnlySpan<byte> payload, long? expectedLastId)
    {
        var source = new SinglePayload(payload);
        TryWrite(ref source, expectedLastId ?? NoExpectation, null, allowWait: false, out var result, out _, awaitable: false);
        return result;
    }

    /// <inheritdoc cref="PartitionLog.FlushAsync"/>
    public async ValueTask<long> FlushAsync(CancellationToken cancellationToken)
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
            _flushRequests.Request(FlushTrigger.Forced);
        }

        await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        return DurableId;
    }

    /// <inheritdoc cref="PartitionLog.WaitForDurableAsync"/>
    public async ValueTask WaitForDurableAsync(long id, CancellationToken cancellationToken)
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

    /// <inheritdoc cref="PartitionLog.WaitForDurableAdvanceAsync"/>
    public async ValueTask<long> WaitForDurableAdvanceAsync(long knownDurableId, CancellationToken cancellationToken)
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

    /// <inheritdoc cref="PartitionLog.SealAsync"/>
    public Task<SegmentInfo?> SealAsync(CancellationToken cancellationToken) => Task.Run(
        () =>
        {
            lock (_flushLock)
            {
                lock (_writeLock)
                {
                    ThrowIfNotWritable();
                    if (_segments.Active.Count == 0)
                    {
                        return null;
                    }

                    return (SegmentInfo?)PartitionRecovery.SealedRow(SealActiveLocked(openNext: true), SegmentStatus.Sealed);
                }
            }
        },
        cancellationToken);

    /// <inheritdoc cref="PartitionLog.SetFlushPolicyAsync"/>
    public async ValueTask SetFlushPolicyAsync(FlushPolicy policy, CancellationToken cancellationToken)
    {
        lock (_writeLock)
        {
            ThrowIfNotWritable();
            _policy = policy;
            ConfigureTimers();
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the timers and the flusher, flushes what was appended (and seals the active segment when
    /// <paramref name="seal"/> is set) and fails what still waits. Returns false when the partition was already closing.
    /// <paramref name="stopBackground"/> runs between stopping the flusher and the final flush (it cancels background work).
    /// </summary>
    public async ValueTask<bool> CloseAsync(bool seal, Func<Task> stopBackground)
    {
        lock (_writeLock)
        {
            if (_closing)
            {
                return false;
            }

            _closing = true;
        }

        _periodicTimer?.Dispose();
        _maintenanceTimer?.Dispose();
        var stopping = stopBackground();
        _flushRequests.Complete();
        await _flushLoop.ConfigureAwait(false);
        await stopping.ConfigureAwait(false);
        await _sealer.StopAsync().ConfigureAwait(false);
        await Task.Run(() =>
        {
            lock (_flushLock)
            {
                if (State == PartitionState.Open)
                {
                    FlushOnce(FlushTrigger.Forced);
                    if (seal && State == PartitionState.Open)
                    {
                        lock (_writeLock)
                        {
                            if (_segments.Active.Count > 0)
                            {
                                SealActiveLocked(openNext: false);
                            }
                        }
                    }
                }
            }
        }).ConfigureAwait(false);

        lock (_writeLock)
        {
            var closed = new PartitionFaultedException(_dir.FullName, "the partition was closed");
            _pendingGate.TrySetException(closed);
            _inflightGate?.TrySetException(closed);
            _state = PartitionState.Closed;
        }

        return true;
    }

    /// <summary>Wakes the waiters of <see cref="WaitForDurableAdvanceAsync"/> for the last time (after the close).</summary>
    public void SignalClosed() => _durableAdvanced.TrySetResult();

    internal static SegmentInfo ActiveInfo(ActiveSegment a) => new(
        a.BaseId, a.LastId, a.Count, SegmentStatus.Active, a.WriteOffset, a.CreatedAt, null, a.FirstTimestampMicros, a.LastTimestampMicros,
        a.Rolling, 0, a.Header.WriterEpoch, SegmentFormat.SegmentFileName(a.BaseId), null, 0, 0);

    private static TaskCompletionSource NewGate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static long SealReserve(long records) => SealReserveFixed + ProducerTable.HeaderSize + (records * BinaryIndexHeader.EntrySize);

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
                        _flushRequests.Request(FlushTrigger.Sync);
                    }

                    return WriteOutcome.Written;
                }

                if (_archival.Enabled)
                {
                    _archival.ThrowIfBacklogFull();
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
                    _flushRequests.Request(FlushTrigger.Forced);
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

                var segment = _segments.Active;
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
                        _flushRequests.Request(FlushTrigger.Batched);
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

                    _sealer.MaybePreallocate(segment, _policy.Kind);
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
        long payloadBytes;
        try
        {
            payloadBytes = RecordFrameWriter.Write(segment, ref payloads, crcs, _scratch, firstId, now, ack, stamp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            FaultLocked(e, "a write failed: " + e.Message);
            throw new PartitionFaultedException(_dir.FullName, _faultReason!, e);
        }

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
            _flushRequests.Request(FlushTrigger.Sync);
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
            _flushRequests.Request(FlushTrigger.Sync);
        }

        if (gate.IsCompletedSuccessfully)
        {
            return true;
        }

        if (!gate.IsCompleted)
        {
            _flushRequests.Request(FlushTrigger.Sync);
        }

        return false;
    }

    private bool NeedsRoll(ActiveSegment segment, long frames, int records) =>
        segment.Count > 0
        && (segment.WriteOffset + frames + FlushCheckpoint.Size + SealReserve(segment.Count + records) + ((_producers.Count + 1L) * ProducerTable.EntrySize) > _options.MaxSegmentBytes
            || SegmentTooOld(segment));

    private bool SegmentTooOld(ActiveSegment segment) =>
        _options.MaxSegmentAge is { } age && segment.Count > 0 && _time.GetUtcNow() - segment.CreatedAt >= age;

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
                if (NeedsRoll(_segments.Active, frames, records))
                {
                    SealActiveLocked(openNext: true);
                }
            }
        }
    }

    /// <summary>Seals the active segment and optionally opens the next. The caller holds both locks.</summary>
    private SealedSegment SealActiveLocked(bool openNext)
    {
        var segment = _segments.Active;
        var records = _pendingRecords;
        var bytes = _unflushedBytes;
        var started = _time.GetTimestamp();
        SealedSegment sealedSegment;
        try
        {
            sealedSegment = _sealer.Seal(segment, NowMicros(), _producers);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _metrics.Record(FlushTrigger.Forced, false, _time.GetElapsedTime(started), 0, 0);
            FaultLocked(e, "sealing a segment failed: " + e.Message);
            throw new PartitionFaultedException(_dir.FullName, _faultReason!, e);
        }

        _metrics.Record(FlushTrigger.Forced, true, _time.GetElapsedTime(started), records, bytes);

        // The row first: archival finds a sealed segment through the set and needs its row.
        var sealedRow = _catalog.Update(PartitionRecovery.SealedRow(sealedSegment, SegmentStatus.Sealed));
        _segments.AddSealed(sealedSegment);
        Volatile.Write(ref _durableId, segment.LastId);
        _pendingRecords = 0;
        _unflushedBytes = 0;
        var gate = _pendingGate;
        _pendingGate = NewGate();
        gate.TrySetResult();
        _segments.TrackOpenReader(sealedSegment);
        StorageInstruments.RecordSeal();
        if (_environment.SegmentSealed is { } onSealed)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => NotifySealed(s.Callback, s.Row), (Callback: onSealed, Row: sealedRow), preferLocal: false);
        }

        if (openNext)
        {
            try
            {
                _segments.SetActive(_sealer.CreateNext(segment.LastId, NowMicros(), WriterEpoch));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                FaultLocked(e, "creating the next segment failed: " + e.Message);
                throw new PartitionFaultedException(_dir.FullName, _faultReason!, e);
            }

            _catalog.UpsertActive(ActiveInfo(_segments.Active));
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

    private void FlushUnderLock(FlushTrigger trigger)
    {
        lock (_flushLock)
        {
            FlushOnce(trigger);
        }
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

            segment = _segments.Active;
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

    private long NowMicros() => SegmentFormat.ToUnixMicroseconds(_time.GetUtcNow());

    private void ConfigureTimers()
    {
        _periodicTimer?.Dispose();
        _periodicTimer = null;
        if (_policy.Kind is FlushPolicyKind.Periodic or FlushPolicyKind.BatchedOrPeriodic)
        {
            _periodicTimer = _time.CreateTimer(static s => ((ActiveSegmentWriter)s!).OnPeriodicTick(), this, _policy.Interval, _policy.Interval);
        }

        if (_options.MaxSegmentAge is not null && _maintenanceTimer is null)
        {
            _maintenanceTimer = _time.CreateTimer(static s => ((ActiveSegmentWriter)s!).OnMaintenanceTick(), this, _options.MaintenanceInterval, _options.MaintenanceInterval);
        }
    }

    private void OnPeriodicTick()
    {
        if (Volatile.Read(ref _pendingRecords) > 0)
        {
            _flushRequests.Request(FlushTrigger.Periodic);
        }
    }

    private void OnMaintenanceTick()
    {
        try
        {
            bool aged;
            lock (_writeLock)
            {
                aged = _state == PartitionState.Open && !_closing && SegmentTooOld(_segments.Active);
            }

            if (aged)
            {
                Roll(0, 0);
            }
        }
        catch (Exception e) when (e is AppendLogException or IOException or ObjectDisposedException)
        {
            LogMaintenanceFailed(_logger, _dir.FullName, e);
        }
    }

    [LoggerMessage(2, LogLevel.Error, "Partition {Partition} faulted: {Reason}")]
    private static partial void LogFaulted(ILogger logger, string partition, string reason, Exception? exception);

    [LoggerMessage(5, LogLevel.Warning, "Partition {Partition}: maintenance failed")]
    private static partial void LogMaintenanceFailed(ILogger logger, string partition, Exception exception);
}
