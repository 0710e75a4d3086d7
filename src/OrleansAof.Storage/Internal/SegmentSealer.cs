using Microsoft.Extensions.Logging;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// Rollover: sealing the active segment (metadata, producer table, index, footer, fsync), creating the next one, and
/// preparing that next file in the background (<see cref="PartitionLogOptions.Preallocation"/>) so that a rollover finds
/// it ready. The seal's writes and fsyncs run without the write lock: appends wait on <see cref="WriterState.SealDone"/>.
/// A failed seal faults the partition (<see cref="WriterState.FaultLocked"/>).
/// </summary>
internal sealed partial class SegmentSealer
{
    private readonly PartitionDirectory _dir;
    private readonly PartitionLogOptions _options;
    private readonly IFileSystem _fs;
    private readonly ILogger _logger;
    private readonly CancellationToken _shutdown;
    private readonly TimeProvider _time;
    private readonly Action<SegmentInfo>? _onSealed;
    private readonly long _writerEpoch;
    private readonly WriterState _state;
    private readonly SegmentSet _segments;
    private readonly PartitionCatalog _catalog;
    private readonly FlushMetrics _metrics;
    private Task? _preallocation;

    public SegmentSealer(RecoveredPartition recovered, ILogger logger, WriterState state, SegmentSet segments, PartitionCatalog catalog, FlushMetrics metrics, CancellationToken shutdown)
    {
        _dir = recovered.Directory;
        _options = recovered.Options;
        _fs = recovered.Environment.FileSystem;
        _time = recovered.Environment.TimeProvider;
        _onSealed = recovered.Environment.SegmentSealed;
        _writerEpoch = recovered.Epoch;
        _logger = logger;
        _shutdown = shutdown;
        _state = state;
        _segments = segments;
        _catalog = catalog;
        _metrics = metrics;
    }

    /// <summary>
    /// Seals the active segment and optionally opens the next; null when it is empty. The caller holds the flush lock; the
    /// write lock is held only to take the segment and to publish the result, not over the seal's writes and fsync, so
    /// appends are not blocked: they wait on <see cref="WriterState.SealDone"/> instead.
    /// </summary>
    public SealedSegment? SealActive(bool openNext, bool closing, Dictionary<long, ProducerEntry> producers)
    {
        ActiveSegment segment;
        long records, bytes;
        TaskCompletionSource done;
        IWritableFileMapping? mapping;
        lock (_state.Sync)
        {
            if (closing)
            {
                if (_state.State != PartitionState.Open)
                {
                    return null;
                }
            }
            else
            {
                _state.ThrowIfNotWritable();
            }

            segment = _segments.Active;
            if (segment.Count == 0)
            {
                return null;
            }

            records = _state.PendingRecords;
            bytes = _state.UnflushedBytes;
            _state.SealDone = done = WriterState.NewGate();
            mapping = segment.DetachMapping();
        }

        // Nothing writes to the segment any more (appends wait for SealDone): unmap it before the seal cuts the file.
        mapping?.Dispose();

        var started = _time.GetTimestamp();
        SealedSegment sealedSegment;
        try
        {
            using var activity = StorageTelemetry.StartSeal(_dir.Log, _dir.Partition, segment.BaseId, segment.LastId, segment.Header.WriterEpoch);
            sealedSegment = Seal(segment, NowMicros(), producers);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _metrics.Record(FlushTrigger.Forced, false, _time.GetElapsedTime(started), 0, 0);
            throw EndSealFaulted(done, e, "sealing a segment failed: " + e.Message);
        }

        _metrics.Record(FlushTrigger.Forced, true, _time.GetElapsedTime(started), records, bytes);

        // The row first: archival finds a sealed segment through the set and needs its row.
        var sealedRow = _catalog.Update(PartitionRecovery.SealedRow(sealedSegment, SegmentStatus.Sealed));
        ActiveSegment? next = null;
        Exception? createFailure = null;
        if (openNext)
        {
            try
            {
                next = CreateNext(segment.LastId, NowMicros(), _writerEpoch, sealedSegment.FileSize);
                _catalog.UpsertActive(PartitionRecovery.ActiveRow(next));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                createFailure = e;
            }
        }

        lock (_state.Sync)
        {
            _segments.AddSealed(sealedSegment);
            _state.SealedLocked(segment.LastId);
            _segments.TrackOpenReader(sealedSegment);
            StorageInstruments.RecordSeal();
            if (_onSealed is { } onSealed)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static s => NotifySealed(s.Callback, s.Row), (Callback: onSealed, Row: sealedRow), preferLocal: false);
            }

            if (next is not null)
            {
                _segments.SetActive(next);
            }

            _state.SignalDurableAdvancedLocked();
        }

        if (createFailure is not null)
        {
            throw EndSealFaulted(done, createFailure, "creating the next segment failed: " + createFailure.Message);
        }

        lock (_state.Sync)
        {
            _state.SealDone = null;
        }

        done.TrySetResult();
        return sealedSegment;
    }

    private PartitionFaultedException EndSealFaulted(TaskCompletionSource done, Exception cause, string reason)
    {
        lock (_state.Sync)
        {
            _state.FaultLocked(cause, reason);
            _state.SealDone = null;
        }

        done.TrySetResult();
        return _state.FaultedError(cause);
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


    /// <summary>Seals <paramref name="segment"/> and hands its open file and offsets to the returned sealed segment.</summary>
    /// <exception cref="IOException">Writing or syncing the seal failed.</exception>
    private SealedSegment Seal(ActiveSegment segment, long sealedAtMicros, Dictionary<long, ProducerEntry> producers)
    {
        var sealedSegment = SegmentFiles.Seal(segment, sealedAtMicros, _dir.SegmentPath(segment.BaseId), producers);
        sealedSegment.Adopt(segment.File, segment.Offsets.ToArray());
        return sealedSegment;
    }

    /// <summary>Creates the active segment that follows one ending at <paramref name="lastId"/>, from the prepared file when it is ready.</summary>
    /// <exception cref="IOException">Creating the file failed.</exception>
    private ActiveSegment CreateNext(long lastId, long nowMicros, long writerEpoch, long justSealedBytes)
    {
        var header = new SegmentHeader(SegmentFormat.Version, 0, SegmentFormat.PartitionHash(_dir.FullName), lastId + 1, nowMicros, writerEpoch);
        return SegmentFiles.CreateActive(_fs, _dir, header, _options, TakePreallocated(), LocalSealedBytes() + justSealedBytes);
    }

    /// <summary>Starts preparing the next segment file once <paramref name="segment"/> is filled past <see cref="PartitionLogOptions.PreallocateAt"/>. Called under the writer's lock.</summary>
    public void MaybePreallocate(ActiveSegment segment, FlushPolicyKind policy)
    {
        if (_options.Preallocation == PreallocationMode.None || segment.PreallocationStarted || _preallocation is not null
            || segment.WriteOffset < _options.MaxSegmentBytes * _options.PreallocateAt)
        {
            return;
        }

        segment.PreallocationStarted = true;
        var mode = _options.Preallocation != PreallocationMode.Auto ? _options.Preallocation
            : policy == FlushPolicyKind.Sync ? PreallocationMode.ZeroFill : PreallocationMode.Reserve;
        // A small partition prepares a small next segment (PartitionLogOptions.InitialReservationBytes): disk use follows the data.
        _preallocation = StartPreallocation(_dir.PreallocatedFile, _options.ReservationFor(LocalSealedBytes() + segment.WriteOffset), mode, _shutdown);
    }

    /// <summary>Bytes of the sealed segments on local disk (the active one not included).</summary>
    private long LocalSealedBytes()
    {
        long bytes = 0;
        foreach (var s in _segments.Sealed)
        {
            bytes += s.FileSize;
        }

        return bytes;
    }

    /// <summary>Waits for a running preparation to stop (at close; the shutdown token cancels it).</summary>
    public async Task StopAsync()
    {
        if (_preallocation is { } prealloc)
        {
            // Cancelled or failed preparation leaves only next.prealloc behind, which the next open deletes.
            await prealloc.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
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

    private long NowMicros() => SegmentFormat.ToUnixMicroseconds(_time.GetUtcNow());

    [LoggerMessage(6, LogLevel.Warning, "Partition {Partition}: preparing the next segment failed; the next segment will be created on demand")]
    private static partial void LogPreallocationFailed(ILogger logger, string partition, Exception exception);
}
