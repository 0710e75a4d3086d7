using OrleansAof.Storage.Format;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// Group commit: making written records durable. A flush writes a checkpoint after the data (under the write lock) and
/// fsyncs the active segment (outside it); appends that arrive during an fsync share the next one. Flushes run on the
/// background flusher (coalesced requests, the periodic timer) or, for a lone <c>Sync</c> append, on the caller's thread
/// when <see cref="PartitionLogOptions.FlushOnCallerThread"/> allows it. <see cref="FlushLock"/> serialises flushes and
/// seals; it is taken before the write lock.
/// </summary>
internal sealed class GroupCommit
{
    private readonly WriterState _state;
    private readonly SegmentSet _segments;
    private readonly FlushMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly bool _flushOnCallerThread;
    private readonly FlushRequests _requests = new();
    private readonly Task _loop;
    private ITimer? _periodicTimer;
    private long _lastFlushRecords;

    public GroupCommit(WriterState state, SegmentSet segments, FlushMetrics metrics, TimeProvider time, PartitionLogOptions options)
    {
        _state = state;
        _segments = segments;
        _metrics = metrics;
        _time = time;
        _flushOnCallerThread = options.FlushOnCallerThread;
        ConfigurePeriodic(state.Policy);
        _loop = Task.Run(() => _requests.RunAsync(FlushUnderLock));
    }

    /// <summary>Serialises flushes and seals (taken before the write lock).</summary>
    public Lock FlushLock { get; } = new();

    /// <summary>Asks the flusher for a flush.</summary>
    public void Request(FlushTrigger trigger) => _requests.Request(trigger);

    /// <summary>Starts or stops the periodic timer for <paramref name="policy"/>.</summary>
    public void ConfigurePeriodic(FlushPolicy policy)
    {
        _periodicTimer?.Dispose();
        _periodicTimer = null;
        if (policy.Kind is FlushPolicyKind.Periodic or FlushPolicyKind.BatchedOrPeriodic)
        {
            _periodicTimer = _time.CreateTimer(static s => ((GroupCommit)s!).OnPeriodicTick(), this, policy.Interval, policy.Interval);
        }
    }

    /// <summary>Stops the timer and the flusher (after the request it is serving).</summary>
    public async Task StopAsync()
    {
        _periodicTimer?.Dispose();
        _requests.Complete();
        await _loop.ConfigureAwait(false);
    }

    /// <inheritdoc cref="PartitionLog.FlushAsync"/>
    public async ValueTask<long> FlushAsync(CancellationToken cancellationToken)
    {
        Task wait;
        lock (_state.Sync)
        {
            _state.ThrowIfNotWritable();
            if (_state.LastId <= _state.DurableId)
            {
                return _state.DurableId;
            }

            wait = _state.FlushWaitLocked();
            _requests.Request(FlushTrigger.Forced);
        }

        await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Volatile.Read(ref _state.DurableId);
    }

    /// <summary>
    /// Makes a <c>Sync</c> append durable: on the calling thread when no flush is running and
    /// <see cref="PartitionLogOptions.FlushOnCallerThread"/> allows it (returns true once <paramref name="gate"/> completed),
    /// otherwise by handing the flush to the flusher (returns false; the caller awaits <paramref name="gate"/>).
    /// </summary>
    public bool FlushInline(Task gate)
    {
        // Inline only while appends come one at a time: when the last flush covered several records, concurrent
        // appenders are sharing fsyncs and the flusher serves them better than a blocked caller thread.
        if (!_flushOnCallerThread || Volatile.Read(ref _lastFlushRecords) > 1 || !FlushLock.TryEnter())
        {
            _requests.Request(FlushTrigger.Sync);
            return false;
        }

        try
        {
            FlushOnce(FlushTrigger.Sync);
        }
        finally
        {
            FlushLock.Exit();
        }

        if (Volatile.Read(ref _state.PendingRecords) > 0)
        {
            // Appends that arrived during this fsync share the next one.
            _requests.Request(FlushTrigger.Sync);
        }

        if (gate.IsCompletedSuccessfully)
        {
            return true;
        }

        if (!gate.IsCompleted)
        {
            _requests.Request(FlushTrigger.Sync);
        }

        return false;
    }

    /// <summary>Writes a checkpoint and fsyncs the active segment. The caller holds <see cref="FlushLock"/>.</summary>
    public void FlushOnce(FlushTrigger trigger)
    {
        TaskCompletionSource gate;
        long lastId;
        long records;
        long bytes;
        ActiveSegment segment;
        var started = _time.GetTimestamp();
        lock (_state.Sync)
        {
            if (_state.State != PartitionState.Open || _state.PendingRecords == 0)
            {
                return;
            }

            segment = _segments.Active;
            var checkpointOffset = segment.WriteOffset;
            Span<byte> bytesOfCheckpoint = stackalloc byte[FlushCheckpoint.Size];
            new FlushCheckpoint(checkpointOffset, segment.LastId, segment.Count, segment.Rolling, SegmentFormat.ToUnixMicroseconds(_time.GetUtcNow())).WriteTo(bytesOfCheckpoint);
            try
            {
                segment.File.Write(checkpointOffset, bytesOfCheckpoint);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _metrics.Record(trigger, false, _time.GetElapsedTime(started), 0, 0);
                _state.FaultLocked(e, "writing a checkpoint failed: " + e.Message);
                return;
            }

            segment.WriteOffset = checkpointOffset + FlushCheckpoint.Size;
            segment.ReleaseWrittenPages();
            lastId = segment.LastId;
            records = _state.PendingRecords;
            bytes = _state.UnflushedBytes + FlushCheckpoint.Size;
            gate = _state.BeginFlushLocked(lastId);
        }

        try
        {
            segment.File.Flush(dataOnly: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _metrics.Record(trigger, false, _time.GetElapsedTime(started), 0, 0);
            lock (_state.Sync)
            {
                _state.FaultLocked(e, "fsync failed: " + e.Message);
            }

            return;
        }

        var elapsed = _time.GetElapsedTime(started);
        lock (_state.Sync)
        {
            _state.EndFlushLocked(lastId);
        }

        Volatile.Write(ref _lastFlushRecords, records);
        _metrics.Record(trigger, true, elapsed, records, bytes);
        gate.TrySetResult();
    }

    private void FlushUnderLock(FlushTrigger trigger)
    {
        using var activity = StorageTelemetry.StartFlush(_metrics.Log, _metrics.Partition, trigger);
        lock (FlushLock)
        {
            FlushOnce(trigger);
        }
    }

    private void OnPeriodicTick()
    {
        if (Volatile.Read(ref _state.PendingRecords) > 0)
        {
            _requests.Request(FlushTrigger.Periodic);
        }
    }
}
