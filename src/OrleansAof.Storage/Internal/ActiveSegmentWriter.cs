// About 600 lines on purpose: the whole write path under one lock (ids, producer table, backpressure, parked rollover);
// splitting it would spread the lock's invariants over several files.
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// The write path of a partition: appends into the active segment, id assignment and the producer table, backpressure,
/// and rollover into the next segment. Durability is <see cref="GroupCommit"/>'s; the shared state and its write lock are
/// <see cref="WriterState"/>'s. Lock order: the flush lock, the write lock, then the leaves (<see cref="SegmentSet"/>,
/// <see cref="PartitionCatalog"/>).
/// </summary>
/// <remarks>
/// <para>Rollover never blocks an asynchronous append: an append that needs the next segment is parked, the seal (footer,
/// fsync) and the creation of the next segment run on the thread pool without the write lock, and the parked appends are
/// then written in the order they were made (appends that arrive meanwhile park behind them). The synchronous
/// <see cref="Append"/> rolls over on its own thread, as it writes on it.</para>
/// <para>The replication follower path (records at ids a leader chose, cutting an uncommitted suffix of the active
/// segment) is in <c>ActiveSegmentWriter.Follower.cs</c>; only the replica log store calls it.</para>
/// </remarks>
internal sealed partial class ActiveSegmentWriter
{
    private const long NoExpectation = long.MinValue;
    private const long WriteBackStep = 1024 * 1024;
    private const long WriteBackPage = 4096;
    private const long MapFromBytes = 1024 * 1024;
    private const long MappedAppendLimit = 16 * 1024;

    private readonly PartitionDirectory _dir;
    private readonly PartitionLogOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SegmentSet _segments;
    private readonly PartitionArchival _archival;
    private readonly SegmentSealer _sealer;
    private readonly WriterState _state;
    private readonly GroupCommit _commit;
    private readonly int _scratchLimit;

    // Where in a segment appends start to go through its writable mapping (ActiveSegmentWriteMode.Mapped).
    private readonly long _mapFrom;

    // Where frames are built before they are written; grown on demand up to _scratchLimit (a partition that only ever
    // gets small records keeps a small buffer: thousands of open partitions each held 1 MiB before).
    private byte[] _scratch = new byte[4096];
    private readonly Dictionary<long, ProducerEntry> _producers;
    private readonly Queue<ParkedAppend> _parked = new();
    private IdReservation? _ids;
    private ITimer? _maintenanceTimer;
    private Task? _drainer;

    public ActiveSegmentWriter(RecoveredPartition recovered, ILogger logger, WriterState state, GroupCommit commit, SegmentSet segments, PartitionArchival archival, SegmentSealer sealer)
    {
        _dir = recovered.Directory;
        _options = recovered.Options;
        _time = recovered.Environment.TimeProvider;
        _logger = logger;
        _segments = segments;
        _archival = archival;
        _sealer = sealer;
        _state = state;
        _commit = commit;
        WriterEpoch = recovered.Epoch;
        _scratchLimit = Math.Max(1024 * 1024, SegmentFormat.RecordFrameSize(_options.MaxRecordBytes) + FlushCheckpoint.Size);
        _mapFrom = Math.Min(MapFromBytes, _options.MaxSegmentBytes / 4);
        _producers = recovered.Producers;
        if (_options.MaxSegmentAge is not null)
        {
            _maintenanceTimer = _time.CreateTimer(static s => ((ActiveSegmentWriter)s!).OnMaintenanceTick(), this, _options.MaintenanceInterval, _options.MaintenanceInterval);
        }
    }

    private enum WriteMode
    {
        /// <summary>An asynchronous append on its caller's thread: parks rather than roll over.</summary>
        Caller,

        /// <summary>The synchronous <see cref="Append"/>: rolls over and waits on its own thread.</summary>
        Synchronous,

        /// <summary>The drainer writing the oldest parked append: rolls over on the thread pool.</summary>
        Drainer,
    }

    private enum WriteOutcome
    {
        Written,

        /// <summary>Wait for the returned task, then try again.</summary>
        Wait,

        /// <summary>Park the append behind the rollover (see <see cref="Park"/>).</summary>
        Park,
    }

    public long WriterEpoch { get; }

    public FlushPolicy FlushPolicy
    {
        get
        {
            lock (_state.Sync)
            {
                return _state.Policy;
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
            await ids.SetAsync(Volatile.Read(ref _state.LastId), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc cref="PartitionLog.AppendAsync(ReadOnlyMemory{byte}, long?, CancellationToken)"/>
    public ValueTask<AppendResult> AppendAsync(ReadOnlyMemory<byte> payload, long? expectedLastId, CancellationToken cancellationToken)
    {
        var source = new SinglePayload(payload.Span);
        var allowWait = _options.BackpressureMode == BackpressureMode.Wait;
        var outcome = TryWrite(ref source, expectedLastId ?? NoExpectation, null, allowWait, WriteMode.Caller, out var result, out var wait);
        return outcome switch
        {
            WriteOutcome.Written => wait is null ? new ValueTask<AppendResult>(result) : AwaitDurableAsync(result, wait, cancellationToken),
            WriteOutcome.Park => AwaitParkedAsync(Park([payload], expectedLastId ?? NoExpectation, null, allowWait), cancellationToken),
            _ => AppendAfterWaitAsync([payload], expectedLastId ?? NoExpectation, null, wait!, cancellationToken),
        };
    }

    /// <inheritdoc cref="PartitionLog.AppendBatchAsync(IReadOnlyList{ReadOnlyMemory{byte}}, long?, ProducerStamp?, CancellationToken)"/>
    public ValueTask<AppendResult> AppendBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> payloads, long? expectedLastId, ProducerStamp? producer, CancellationToken cancellationToken)
    {
        var array = payloads as ReadOnlyMemory<byte>[] ?? [.. payloads];
        var source = new MemoryPayloads(array);
        var allowWait = _options.BackpressureMode == BackpressureMode.Wait;
        var outcome = TryWrite(ref source, expectedLastId ?? NoExpectation, producer, allowWait, WriteMode.Caller, out var result, out var wait);
        return outcome switch
        {
            WriteOutcome.Written => wait is null ? new ValueTask<AppendResult>(result) : AwaitDurableAsync(result, wait, cancellationToken),
            WriteOutcome.Park => AwaitParkedAsync(Park(array, expectedLastId ?? NoExpectation, producer, allowWait), cancellationToken),
            _ => AppendAfterWaitAsync(array, expectedLastId ?? NoExpectation, producer, wait!, cancellationToken),
        };
    }

    /// <inheritdoc cref="PartitionLog.Append"/>
    public AppendResult Append(ReadOnlySpan<byte> payload, long? expectedLastId)
    {
        var source = new SinglePayload(payload);
        TryWrite(ref source, expectedLastId ?? NoExpectation, null, allowWait: false, WriteMode.Synchronous, out var result, out _);
        return result;
    }

    /// <inheritdoc cref="PartitionLog.FlushAsync"/>
    public ValueTask<long> FlushAsync(CancellationToken cancellationToken) => _commit.FlushAsync(cancellationToken);

    /// <inheritdoc cref="PartitionLog.SealAsync"/>
    public Task<SegmentInfo?> SealAsync(CancellationToken cancellationToken) => Task.Run(
        () =>
        {
            lock (_commit.FlushLock)
            {
                return _sealer.SealActive(openNext: true, closing: false, _producers) is { } s ? PartitionRecovery.SealedRow(s, SegmentStatus.Sealed) : null;
            }
        },
        cancellationToken);

    /// <inheritdoc cref="PartitionLog.SetFlushPolicyAsync"/>
    public async ValueTask SetFlushPolicyAsync(FlushPolicy policy, CancellationToken cancellationToken)
    {
        lock (_state.Sync)
        {
            _state.ThrowIfNotWritable();
            _state.Policy = policy;
            _commit.ConfigurePeriodic(policy);
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the timers and the flusher, fails parked appends, flushes what was appended (and seals the active segment
    /// when <paramref name="seal"/> is set) and fails what still waits. Returns false when the partition was already
    /// closing. <paramref name="stopBackground"/> cancels the partition's background work.
    /// </summary>
    public async ValueTask<bool> CloseAsync(bool seal, Func<Task> stopBackground)
    {
        Task? drainer;
        lock (_state.Sync)
        {
            if (_state.Closing)
            {
                return false;
            }

            _state.Closing = true;
            drainer = _drainer;
        }

        _maintenanceTimer?.Dispose();
        var stopping = stopBackground();
        await _commit.StopAsync().ConfigureAwait(false);
        await stopping.ConfigureAwait(false);
        await _sealer.StopAsync().ConfigureAwait(false);
        await Task.Run(() =>
        {
            lock (_commit.FlushLock)
            {
                if (_state.State == PartitionState.Open)
                {
                    _commit.FlushOnce(FlushTrigger.Forced);
                    if (seal && _state.State == PartitionState.Open)
                    {
                        _sealer.SealActive(openNext: false, closing: true, _producers);
                    }
                }
            }
        }).ConfigureAwait(false);

        lock (_state.Sync)
        {
            _state.CloseLocked();
        }

        if (drainer is not null)
        {
            // It fails the parked appends (the partition is closed); any wait it is in has completed by now.
            await drainer.ConfigureAwait(false);
        }

        return true;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

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

    private static async ValueTask<AppendResult> AwaitParkedAsync(Task<(AppendResult Result, Task? Durable)> parked, CancellationToken cancellationToken)
    {
        var (result, durable) = await parked.WaitAsync(cancellationToken).ConfigureAwait(false);
        return durable is null ? result : await AwaitDurableAsync(result, durable, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<AppendResult> AppendAfterWaitAsync(ReadOnlyMemory<byte>[] payloads, long expected, ProducerStamp? producer, Task wait, CancellationToken cancellationToken)
    {
        while (true)
        {
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            var source = new MemoryPayloads(payloads);
            switch (TryWrite(ref source, expected, producer, allowWait: true, WriteMode.Caller, out var result, out var next))
            {
                case WriteOutcome.Written:
                    return next is null ? result : await AwaitDurableAsync(result, next, cancellationToken).ConfigureAwait(false);
                case WriteOutcome.Park:
                    return await AwaitParkedAsync(Park(payloads, expected, producer, allowWait: true), cancellationToken).ConfigureAwait(false);
                default:
                    wait = next!;
                    break;
            }
        }
    }

    private WriteOutcome TryWrite<T>(ref T payloads, long expected, ProducerStamp? stamp, bool allowWait, WriteMode mode, out AppendResult result, out Task? wait)
        where T : IPayloads, allows ref struct
    {
        var n = payloads.Count;
        var frames = RecordFrameWriter.Measure(ref payloads, stamp is not null, _options.MaxRecordBytes, _options.MaxSegmentBytes);
        Span<uint> crcs = n <= 128 ? stackalloc uint[n] : new uint[n];
        for (var i = 0; i < n; i++)
        {
            crcs[i] = Crc32C.Compute(payloads.Get(i));
        }

        while (true)
        {
            result = default;
            wait = null;
            Task? blockOn = null;
            var written = false;
            IStorageFile? writeBackFile = null;
            long writeBackFrom = 0, writeBackTo = 0;
            lock (_state.Sync)
            {
                _state.ThrowIfNotWritable();
                if (stamp is { } st && _producers.TryGetValue(st.ProducerId, out var known) && st.Sequence <= known.Sequence)
                {
                    if (st.Sequence < known.Sequence)
                    {
                        throw new StaleSequenceException(st.ProducerId, st.Sequence, known.Sequence);
                    }

                    var durable = known.LastId <= _state.DurableId;
                    result = new AppendResult(known.FirstId, known.LastId, durable, IsDuplicate: true);
                    wait = durable || _state.Policy.Kind != FlushPolicyKind.Sync ? null : _state.DurableWaitLocked(known.LastId);
                    if (wait is not null)
                    {
                        _commit.Request(FlushTrigger.Sync);
                    }

                    if (mode == WriteMode.Drainer)
                    {
                        _parked.Dequeue();
                    }

                    return WriteOutcome.Written;
                }

                // Appends keep their order: none overtakes a parked one, and none writes while a seal runs.
                if (mode != WriteMode.Drainer && (_parked.Count > 0 || _state.SealDone is not null))
                {
                    if (mode == WriteMode.Caller)
                    {
                        return WriteOutcome.Park;
                    }

                    blockOn = _drainer ?? _state.SealDone?.Task;
                }
                else if (mode == WriteMode.Drainer && _state.SealDone is { } sealing)
                {
                    wait = sealing.Task;
                    return WriteOutcome.Wait;
                }
                else
                {
                    if (_archival.Enabled)
                    {
                        _archival.ThrowIfBacklogFull();
                    }

                    if (expected != NoExpectation && expected != _state.LastId)
                    {
                        throw new ExpectedLastIdMismatchException(expected, _state.LastId);
                    }

                    if (_ids is { } ids && !ids.Covers(_state.LastId + n, out var reserving))
                    {
                        // No id past the recorded bound is handed out: wait for the store to record a higher one (only the
                        // synchronous Append cannot wait; this is not memory pressure, so FailFast does not apply).
                        if (mode == WriteMode.Synchronous)
                        {
                            throw new LogBackpressureException(BackpressureReason.IdReservation, Invariant($"ids past {ids.ReservedThrough} are being reserved."), TimeSpan.FromMilliseconds(5));
                        }

                        wait = reserving;
                        return WriteOutcome.Wait;
                    }

                    if (_state.UnflushedBytes > 0 && _state.UnflushedBytes + frames > _options.MaxUnflushedBytes)
                    {
                        StorageInstruments.RecordBackpressure(BackpressureReason.UnflushedBytes);
                        wait = _state.FlushWaitLocked();
                        _commit.Request(FlushTrigger.Forced);
                        if (!allowWait)
                        {
                            throw new LogBackpressureException(
                                BackpressureReason.UnflushedBytes,
                                Invariant($"{_state.UnflushedBytes} bytes are written but not flushed."),
                                TimeSpan.FromMilliseconds(5),
                                new BackpressureBound(nameof(PartitionLogOptions.MaxUnflushedBytes), _options.MaxUnflushedBytes, "bytes"));
                        }

                        return WriteOutcome.Wait;
                    }

                    var segment = _segments.Active;
                    if (!NeedsRoll(segment, frames, n))
                    {
                        result = WriteLocked(segment, ref payloads, crcs, frames, stamp);
                        written = true;
                        if (mode == WriteMode.Drainer)
                        {
                            _parked.Dequeue();
                        }

                        var policy = _state.Policy;
                        if (policy.Kind == FlushPolicyKind.Sync)
                        {
                            wait = _state.PendingGate.Task;
                        }
                        else if (policy.Kind is FlushPolicyKind.Batched or FlushPolicyKind.BatchedOrPeriodic && _state.PendingRecords >= policy.Records)
                        {
                            _commit.Request(FlushTrigger.Batched);
                        }

                        // Whole pages of the mapping when appends are stored through one (a huge page is written back whole).
                        var writtenPages = segment.WriteOffset & ~((segment.Mapping?.PageSize ?? WriteBackPage) - 1);
                        if (policy.Kind != FlushPolicyKind.Sync && writtenPages - segment.WriteBackStarted >= WriteBackStep)
                        {
                            // Start write-back of the whole pages written since the last hint, so that the disk works while
                            // appends go on and the next fsync finds little left to write.
                            segment.ReleaseWrittenPages();
                            writeBackFile = segment.File;
                            writeBackFrom = segment.WriteBackStarted;
                            writeBackTo = writtenPages;
                            segment.WriteBackStarted = writeBackTo;
                        }

                        _sealer.MaybePreallocate(segment, policy.Kind);
                    }
                    else if (mode == WriteMode.Caller)
                    {
                        // The seal's fsync is not made on the caller's thread (a grain's scheduler): park behind it.
                        return WriteOutcome.Park;
                    }
                }
            }

            if (blockOn is not null)
            {
                // The synchronous Append keeps its place behind parked appends and a running seal by waiting for them.
                blockOn.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing).GetAwaiter().GetResult();
                continue;
            }

            writeBackFile?.StartWriteBack(writeBackFrom, writeBackTo - writeBackFrom);
            if (written)
            {
                if (wait is not null)
                {
                    // The drainer hands durability to the flusher: the parked appends share its fsyncs.
                    if (mode == WriteMode.Drainer)
                    {
                        _commit.Request(FlushTrigger.Sync);
                    }
                    else if (_commit.FlushInline(wait))
                    {
                        result = result with { IsDurable = true };
                        wait = null;
                    }
                }

                return WriteOutcome.Written;
            }

            Roll(frames, n);
        }
    }

    private AppendResult WriteLocked<T>(ActiveSegment segment, scoped ref T payloads, scoped ReadOnlySpan<uint> crcs, long frames, ProducerStamp? stamp, bool replicated = false)
        where T : IPayloads, allows ref struct
    {
        var n = payloads.Count;
        var firstId = _state.LastId + 1;
        var now = Math.Max(NowMicros(), _state.LastTimestampMicros);
        var ack = _state.Policy.Kind == FlushPolicyKind.Sync && !replicated ? RecordFlags.None : RecordFlags.AcknowledgedOnWrite;
        long payloadBytes;
        if (frames > _scratch.Length && _scratch.Length < _scratchLimit)
        {
            // Holds the batch (or at least its largest frame, which the limit always does); doubles so that growth is rare.
            _scratch = new byte[(int)Math.Min(_scratchLimit, Math.Max(frames, 2L * _scratch.Length))];
        }

        // Mapped writes only where they pay: not under Sync (each fsync would write back whole huge pages for a few
        // records) nor on the follower path (it flushes every few records), once the segment holds MapFrom bytes (a
        // small partition keeps writing through the file and never holds a huge page of zeros), and for appends of at
        // most MappedAppendLimit bytes (a large append pays for one pwrite easily, and a page the mapping brings in is
        // zeroed before it is copied into, which a whole-page pwrite skips).
        var mapped = _options.ActiveSegmentWrite == ActiveSegmentWriteMode.Mapped && _state.Policy.Kind != FlushPolicyKind.Sync && !replicated
            && frames <= MappedAppendLimit && segment.WriteOffset >= _mapFrom && segment.MapForWriting(_options.MaxSegmentBytes) is not null;
        try
        {
            payloadBytes = RecordFrameWriter.Write(segment, ref payloads, crcs, frames, mapped, _scratch, firstId, now, ack, stamp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _state.FaultLocked(e, "a write failed: " + e.Message);
            throw _state.FaultedError(e);
        }

        _state.LastTimestampMicros = now;
        _state.PendingRecords += n;
        _state.UnflushedBytes += frames;
        var lastId = firstId + n - 1;
        Volatile.Write(ref _state.LastId, lastId);
        if (stamp is { } s)
        {
            RememberProducer(new ProducerEntry(s.ProducerId, s.Sequence, firstId, lastId));
        }

        StorageInstruments.RecordAppend(n, payloadBytes);
        return new AppendResult(firstId, lastId, false);
    }

    /// <summary>Parks an append behind the rollover (or the appends already parked) and makes sure the drainer runs.</summary>
    private Task<(AppendResult Result, Task? Durable)> Park(ReadOnlyMemory<byte>[] payloads, long expected, ProducerStamp? stamp, bool allowWait)
    {
        var parked = new ParkedAppend(payloads, expected, stamp, allowWait);
        lock (_state.Sync)
        {
            _state.ThrowIfNotWritable();
            _parked.Enqueue(parked);
            _drainer ??= Task.Run(DrainAsync);
        }

        return parked.Done.Task;
    }

    /// <summary>Writes the parked appends in order, rolling over on the thread pool when one needs the next segment.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031", Justification = "Every failure belongs to the parked append that met it.")]
    private async Task DrainAsync()
    {
        while (true)
        {
            ParkedAppend head;
            lock (_state.Sync)
            {
                if (!_parked.TryPeek(out head!))
                {
                    _drainer = null;
                    return;
                }
            }

            try
            {
                var source = new MemoryPayloads(head.Payloads);
                var outcome = TryWrite(ref source, head.Expected, head.Stamp, head.AllowWait, WriteMode.Drainer, out var result, out var wait);
                if (outcome == WriteOutcome.Wait)
                {
                    await wait!.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    continue;
                }

                head.Done.TrySetResult((result, wait));
            }
            catch (Exception e)
            {
                lock (_state.Sync)
                {
                    _parked.Dequeue();
                }

                head.Done.TrySetException(e);
            }
        }
    }

    private bool NeedsRoll(ActiveSegment segment, long frames, int records) =>
        segment.Count > 0 && (Overflows(segment, frames, records) || SegmentTooOld(segment));

    private bool Overflows(ActiveSegment segment, long frames, int records) =>
        segment.WriteOffset + frames + FlushCheckpoint.Size + RecordFrameWriter.SealReserve(segment.Count + records) + ((_producers.Count + 1L) * ProducerTable.EntrySize) > _options.MaxSegmentBytes;

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
        lock (_commit.FlushLock)
        {
            lock (_state.Sync)
            {
                _state.ThrowIfNotWritable();
                if (!NeedsRoll(_segments.Active, frames, records))
                {
                    return;
                }
            }

            _sealer.SealActive(openNext: true, closing: false, _producers);
        }
    }

    private long NowMicros() => SegmentFormat.ToUnixMicroseconds(_time.GetUtcNow());

    private void OnMaintenanceTick()
    {
        try
        {
            bool aged;
            lock (_state.Sync)
            {
                aged = _state.State == PartitionState.Open && !_state.Closing && SegmentTooOld(_segments.Active);
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

    [LoggerMessage(5, LogLevel.Warning, "Partition {Partition}: maintenance failed")]
    private static partial void LogMaintenanceFailed(ILogger logger, string partition, Exception exception);
}
