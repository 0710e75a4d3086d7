using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OrleansAof.Storage.Catalog;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.Internal;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage;

/// <summary>
/// One partition of a log: a totally ordered sequence of records with dense ids from 0, stored in segment files under
/// <c>{DataRoot}/{log}/{partition}</c>. One writer per directory (an exclusive lock file). Thread-safe.
/// </summary>
/// <remarks>
/// <para>Appends are written to the operating system before they return and made durable under the
/// <see cref="FlushPolicy"/>; under <see cref="FlushPolicyKind.Sync"/> the returned task completes only after the
/// fsync that covers the record (appends that arrive during an fsync share the next one).</para>
/// <para>Reads see durable records unless asked otherwise. After an I/O error on write or fsync the partition is
/// <see cref="PartitionState.Faulted"/> and refuses appends until it is reopened.</para>
/// </remarks>
public sealed partial class PartitionLog : IAsyncDisposable
{
    private readonly PartitionDirectory _dir;
    private readonly PartitionLogOptions _options;
    private readonly IFileSystem _fs;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PartitionLogEnvironment _environment;
    private readonly SegmentCatalog _catalog;
    private readonly IStorageFile _lockFile;
    private readonly FlushMetrics _metrics;
    private readonly Lock _writeLock = new();
    private readonly Lock _flushLock = new();
    private readonly Channel<bool> _flushSignal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _shutdown = new();
    private readonly byte[] _scratch;
    private readonly LinkedList<SealedSegment> _openReaders = new();
    private readonly Lock _readersLock = new();
    private readonly Task _flushLoop;
    private readonly Dictionary<long, ProducerEntry> _producers;
    private IdReservation? _ids;

    private volatile SealedSegment[] _sealed;
    private volatile ActiveSegment _active;
    private FlushPolicy _policy;
    private ITimer? _periodicTimer;
    private ITimer? _maintenanceTimer;
    private Task? _preallocation;
    private long _lastId;
    private long _durableId;
    private long _firstId;
    private long _lastTimestampMicros;
    private long _pendingRecords;
    private long _unflushedBytes;
    private long _lastFlushRecords;
    private int _requestedTriggers;
    private TaskCompletionSource _pendingGate = NewGate();
    private TaskCompletionSource? _inflightGate;
    private long _inflightLastId = -1;
    private TaskCompletionSource _durableAdvanced = NewGate();
    private PartitionState _state = PartitionState.Open;
    private string? _faultReason;
    private Exception? _fault;
    private bool _closing;

    private PartitionLog(PartitionDirectory dir, PartitionLogOptions options, PartitionLogEnvironment environment, SegmentCatalog catalog, IStorageFile lockFile, long epoch, RecoveredState recovered)
    {
        _dir = dir;
        _metrics = new FlushMetrics(dir.Log, dir.Partition, options.PartitionMetricTags);
        _options = options;
        _environment = environment;
        _fs = environment.FileSystem;
        _time = environment.TimeProvider;
        _logger = environment.LoggerFactory.CreateLogger("OrleansAof.Storage.PartitionLog");
        _catalog = catalog;
        _lockFile = lockFile;
        WriterEpoch = epoch;
        _policy = options.FlushPolicy;
        _scratch = new byte[Math.Max(1024 * 1024, SegmentFormat.RecordFrameSize(options.MaxRecordBytes) + FlushCheckpoint.Size)];
        _sealed = recovered.Sealed;
        _active = recovered.Active;
        _firstId = recovered.FirstId;
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
        StorageInstruments.Register(this);
        _flushLoop = Task.Run(FlushLoopAsync);
    }

    /// <summary>The log's name.</summary>
    public string Log => _dir.Log;

    internal bool PartitionMetricTags => _options.PartitionMetricTags;

    /// <summary>The partition's name.</summary>
    public string Partition => _dir.Partition;

    /// <summary>The partition's directory.</summary>
    public string DirectoryPath => _dir.DirectoryPath;

    /// <summary>This writer's epoch: one more than any before it in this directory; stamped into new segment headers.</summary>
    public long WriterEpoch { get; }

    /// <summary>Open, faulted or closed.</summary>
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

    /// <summary>Why the partition is faulted, if it is.</summary>
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

    /// <summary>The last id written (-1 when empty). Not necessarily durable.</summary>
    public long LastId => Volatile.Read(ref _lastId);

    /// <summary>The last id known durable (-1 when none).</summary>
    public long DurableId => Volatile.Read(ref _durableId);

    /// <summary>The first id still held (0 unless retention removed older records).</summary>
    public long FirstId => Volatile.Read(ref _firstId);

    /// <summary>The id the next append gets.</summary>
    public long NextId => LastId + 1;

    /// <summary>The current flush policy.</summary>
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

    /// <summary>The options the partition was opened with.</summary>
    public PartitionLogOptions Options => _options.Clone();

    /// <summary>
    /// Opens (creating when missing) the partition <paramref name="log"/>/<paramref name="partition"/> under
    /// <see cref="PartitionLogOptions.DataRoot"/> and recovers it: sealed segments open from their footers; the active
    /// segment is scanned, a torn tail is cut back to the acknowledged prefix, and damage in durable data is reported
    /// (the partition then opens <see cref="PartitionState.Faulted"/> and serves what is intact).
    /// </summary>
    /// <exception cref="InvalidLogOptionsException">An option is invalid.</exception>
    /// <exception cref="InvalidPartitionNameException">A name is invalid.</exception>
    /// <exception cref="PartitionLockedException">Another writer holds the directory.</exception>
    public static Task<PartitionLog> OpenAsync(string log, string partition, PartitionLogOptions options, PartitionLogEnvironment? environment = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var opts = options.Clone();
        opts.Validate();
        var dir = new PartitionDirectory(opts.DataRoot, log, partition);
        return StorageTelemetry.EndRecovery(StorageTelemetry.StartRecovery(log, partition), OpenCoreAsync(dir, opts, environment ?? PartitionLogEnvironment.Default, cancellationToken));
    }

    /// <summary>A snapshot of the partition and its segments.</summary>
    public PartitionInfo GetInfo()
    {
        lock (_writeLock)
        {
            var segments = new List<SegmentInfo>(_rows.Values) { ActiveInfo(_active) };
            segments.Sort(static (a, b) => a.BaseId.CompareTo(b.BaseId));
            return new PartitionInfo(Log, Partition, _state, _faultReason, _firstId, _lastId, _durableId, WriterEpoch, _policy, segments);
        }
    }

    /// <summary>Flush statistics since the partition was opened.</summary>
    public FlushMetricsSnapshot GetFlushMetrics() => _metrics.Snapshot(Volatile.Read(ref _pendingRecords), Volatile.Read(ref _unflushedBytes));

    /// <summary>
    /// Flushes what was appended, stops the background work and releases the directory. The active segment stays
    /// unsealed unless <paramref name="seal"/> is set.
    /// </summary>
    public async ValueTask CloseAsync(bool seal)
    {
        lock (_writeLock)
        {
            if (_closing)
            {
                return;
            }

            _closing = true;
        }

        _periodicTimer?.Dispose();
        _maintenanceTimer?.Dispose();
        await _shutdown.CancelAsync().ConfigureAwait(false);
        _flushSignal.Writer.TryComplete();
        await _flushLoop.ConfigureAwait(false);
        if (_preallocation is { } prealloc)
        {
            // Cancelled or failed preparation leaves only next.prealloc behind, which the next open deletes.
            await prealloc.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

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
                            if (_active.Count > 0)
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
            _active.File.Dispose();
            foreach (var s in _sealed)
            {
                s.Close();
            }

            foreach (var s in _fetched.Values)
            {
                s.Close();
            }
        }

        StorageInstruments.Unregister(this);
        _catalog.Dispose();
        _lockFile.Dispose();
        _shutdown.Dispose();
        _durableAdvanced.TrySetResult();
    }

    /// <summary>Closes the partition without sealing (see <see cref="CloseAsync"/>).</summary>
    public ValueTask DisposeAsync() => CloseAsync(seal: false);

    private static TaskCompletionSource NewGate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static SegmentInfo ActiveInfo(ActiveSegment a) => new(
        a.BaseId, a.LastId, a.Count, SegmentStatus.Active, a.WriteOffset, a.CreatedAt, null, a.FirstTimestampMicros, a.LastTimestampMicros,
        a.Rolling, 0, a.Header.WriterEpoch, SegmentFormat.SegmentFileName(a.BaseId), null, 0, 0);

    private long NowMicros() => SegmentFormat.ToUnixMicroseconds(_time.GetUtcNow());

    private void ConfigureTimers()
    {
        _periodicTimer?.Dispose();
        _periodicTimer = null;
        if (_policy.Kind is FlushPolicyKind.Periodic or FlushPolicyKind.BatchedOrPeriodic)
        {
            _periodicTimer = _time.CreateTimer(static s => ((PartitionLog)s!).OnPeriodicTick(), this, _policy.Interval, _policy.Interval);
        }

        if (_options.MaxSegmentAge is not null && _maintenanceTimer is null)
        {
            _maintenanceTimer = _time.CreateTimer(static s => ((PartitionLog)s!).OnMaintenanceTick(), this, _options.MaintenanceInterval, _options.MaintenanceInterval);
        }
    }

    private void OnPeriodicTick()
    {
        if (Volatile.Read(ref _pendingRecords) > 0)
        {
            RequestFlush(FlushTrigger.Periodic);
        }
    }

    private void OnMaintenanceTick()
    {
        try
        {
            bool aged;
            lock (_writeLock)
            {
                aged = _state == PartitionState.Open && !_closing && SegmentTooOld(_active);
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

    private bool SegmentTooOld(ActiveSegment segment) =>
        _options.MaxSegmentAge is { } age && segment.Count > 0 && _time.GetUtcNow() - segment.CreatedAt >= age;

    private sealed record RecoveredState(SealedSegment[] Sealed, ActiveSegment Active, long FirstId, long LastTimestampMicros, string? FaultReason, Dictionary<long, ProducerEntry> Producers);

    [LoggerMessage(1, LogLevel.Information, "Partition {Partition} opened at epoch {Epoch}: ids {FirstId}..{LastId}, {Sealed} sealed segment(s); recovery discarded {Discarded} unacknowledged record(s) and {Bytes} byte(s) of torn tail")]
    private static partial void LogOpened(ILogger logger, string partition, long epoch, long firstId, long lastId, int @sealed, int discarded, long bytes);

    [LoggerMessage(2, LogLevel.Error, "Partition {Partition} faulted: {Reason}")]
    private static partial void LogFaulted(ILogger logger, string partition, string reason, Exception? exception);

    [LoggerMessage(3, LogLevel.Warning, "Partition {Partition}: segment {Path} is damaged and was quarantined: {Detail}")]
    private static partial void LogQuarantined(ILogger logger, string partition, string path, string detail);

    [LoggerMessage(4, LogLevel.Warning, "Partition {Partition}: the segment catalog was {Problem}; it was rebuilt from the segment files")]
    private static partial void LogCatalogRebuilt(ILogger logger, string partition, string problem);

    [LoggerMessage(5, LogLevel.Warning, "Partition {Partition}: maintenance failed")]
    private static partial void LogMaintenanceFailed(ILogger logger, string partition, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "Partition {Partition}: preparing the next segment failed; the next segment will be created on demand")]
    private static partial void LogPreallocationFailed(ILogger logger, string partition, Exception exception);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
