using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Streams;
using OrleansAof.Server.Placement;
using OrleansAof.Storage;
using Engine = OrleansAof.Storage;

namespace OrleansAof.Server;

/// <summary>
/// Serves one partition: owns the engine's <see cref="PartitionLog"/> for <c>{log}/{partition}</c> while active.
/// Reentrant, so concurrent appends share one group commit; it only orchestrates (the engine parses every byte).
/// Placed on the partition's owner silo only and never moved. After each flush that advances the durable id it
/// publishes one coalesced <see cref="TailAdvanced"/> to registered listeners and on the tail stream.
/// </summary>
[PartitionOwnerPlacement]
[Immovable]
[Reentrant]
internal sealed partial class PartitionGrain : Grain, IPartitionGrain, IIncomingGrainCallFilter, IDisposable
{
    private const int InlineTailRecords = 1024;
    private static readonly TimeSpan PreviousActivationCloseTimeout = TimeSpan.FromSeconds(10);
    private readonly AppendLogOptions _options;
    private readonly OpenPartitions _partitions;
    private readonly ITailNotificationInterceptor _interceptor;
    private readonly ServerInstruments _instruments;
    private readonly ILoggerFactory _loggerFactory;
    private readonly PartitionOwnership _ownership;
    private readonly Ownership.OwnershipRefresher _ownershipRefresher;
    private readonly AppendLogHealth _health;
    private bool _handingOver;
    private readonly Storage.Archive.ConfiguredSegmentArchive? _archive;
    private readonly TimeProvider _time;
    private readonly string _siloName;
    private readonly ILogger _logger;
    private readonly HashSet<ITailListener> _listeners = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Func<TailAdvanced, ValueTask> _deliver;
    private readonly Func<TailAdvanced, ValueTask> _publish;
    private string _key = "";
    private string _logName = "";
    private string _partition = "";
    private PartitionLog? _log;
    private Task? _tailLoop;
    private Task? _streamLoop;
    private IAsyncStream<TailAdvanced>? _stream;
    private ITailListener[] _listenerSnapshot = [];
    private CachedRead? _lastRead;

    public PartitionGrain(
        IOptions<AppendLogOptions> options,
        OpenPartitions partitions,
        ITailNotificationInterceptor interceptor,
        ServerInstruments instruments,
        ILocalSiloDetails silo,
        ILoggerFactory loggerFactory,
        TimeProvider time,
        IServiceProvider services,
        PartitionOwnership ownership,
        Ownership.OwnershipRefresher ownershipRefresher,
        AppendLogHealth health)
    {
        _ownership = ownership;
        _health = health;
        _ownershipRefresher = ownershipRefresher;
        _options = options.Value;
        _partitions = partitions;
        _interceptor = interceptor;
        _instruments = instruments;
        _time = time;
        _siloName = _options.SiloName ?? silo.Name;
        _logger = loggerFactory.CreateLogger<PartitionGrain>();
        _loggerFactory = loggerFactory;
        _archive = services.GetService(typeof(Storage.Archive.ConfiguredSegmentArchive)) as Storage.Archive.ConfiguredSegmentArchive;
        _deliver = PushToListeners;
        _publish = PublishToStreamAsync;
    }

    private PartitionLog Log => _log ?? throw new PartitionUnavailableException(_key, "the partition is not open on this activation");

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = this.GetPrimaryKeyString();
        (_logName, _partition) = PartitionKey.Parse(_key);
        var dataRoot = _options.DataRootFor(_siloName);
        await FenceAsync();
        if (!await _partitions.AcquireAsync(_key, GrainContext, PreviousActivationCloseTimeout, cancellationToken))
        {
            throw new PartitionUnavailableException(_key, "its previous activation on this silo is still closing; retry");
        }

        var archiver = _archive is null ? null : GrainFactory.GetGrain<IPartitionArchiverGrain>(_key);
        var environment = new PartitionLogEnvironment
        {
            LoggerFactory = _loggerFactory,
            TimeProvider = _time,
            Archive = _archive?.Archive,
            IdBounds = new Ownership.GrainIdBoundStore(GrainFactory),
            SegmentSealed = archiver is not null && _options.ArchiveOnSeal ? _ => archiver.PokeAsync().Ignore() : null,
        };
        try
        {
            _log = await PartitionLog.OpenAsync(_logName, _partition, _options.ToEngineOptions(dataRoot), environment, cancellationToken);
        }
        catch (Engine.AppendLogException e)
        {
            _partitions.Release(_key);
            LogOpenFailed(_logger, _key, e);
            throw EngineErrors.ToContract(e, _key);
        }
        catch
        {
            _partitions.Release(_key);
            throw;
        }

        _partitions.Add(_key, _log);
        try
        {
            if (!string.IsNullOrEmpty(_options.TailStreamProvider))
            {
                _stream = this.GetStreamProvider(_options.TailStreamProvider).GetStream<TailAdvanced>(StreamId.Create(AppendLogStreams.TailNamespace, _key));
            }
        }
        catch
        {
            // A failed activation gets no OnDeactivateAsync: give the files and the slot back here.
            var opened = _log;
            _log = null;
            await CloseAndReleaseAsync(opened, seal: false);
            throw;
        }

        _instruments.Activation();

        LogActivated(_logger, _key, _siloName, _log.WriterEpoch, _log.LastId);
        if (archiver is not null)
        {
            // Registers the archiver's reminder and archives whatever waits from an earlier life.
            archiver.PokeAsync().Ignore();
        }

        _tailLoop = RunTailLoopAsync(_log);
        if (_stream is not null)
        {
            _streamLoop = RunStreamLoopAsync(_log);
        }
    }

    /// <summary>
    /// Opens only on the owner named by the newest ownership table: placement may have used a copy a moment old (right
    /// after a drain moved the partition), and a partition must never open where it no longer belongs.
    /// </summary>
    private async Task FenceAsync()
    {
        if (!_ownership.HasConfiguredSilos)
        {
            return;
        }

        try
        {
            await _ownershipRefresher.EnsureFreshAsync(TimeSpan.Zero);
        }
        catch (Exception e) when (e is not PartitionUnavailableException)
        {
            throw new PartitionUnavailableException(_key, "the ownership table cannot be read to confirm this silo owns the partition; retry", e);
        }

        if (_ownership.OwnerOf(_logName, _partition) is { } owner && !string.Equals(owner, _siloName, StringComparison.Ordinal))
        {
            throw new PartitionUnavailableException(_key, $"the partition belongs to silo '{owner}', not '{_siloName}'; retry");
        }
    }

    /// <summary>Closes the partition's files and gives its slot on this silo back, even when closing fails.</summary>
    private async Task CloseAndReleaseAsync(PartitionLog log, bool seal)
    {
        try
        {
            await log.CloseAsync(seal);
        }
        catch (Exception e) when (e is Engine.AppendLogException or IOException)
        {
            LogCloseFailed(_logger, _key, e);
        }
        finally
        {
            _partitions.Remove(_key, log);
            _partitions.Release(_key);
            _health.Forget(_key);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_log is { } log)
        {
            await CloseAndReleaseAsync(log, _options.SealOnDeactivate);
        }

        if (_tailLoop is { } loop)
        {
            await loop;
        }

        if (_streamLoop is { } streamLoop)
        {
            await streamLoop;
        }

        LogDeactivated(_logger, _key, reason.ReasonCode.ToString());
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>Maps every engine error of every call to its wire exception, in one place.</summary>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Engine.AppendLogException e)
        {
            throw EngineErrors.ToContract(e, _key);
        }
        catch (ObjectDisposedException e) when (_stopping.IsCancellationRequested || _log?.State == PartitionState.Closed)
        {
            throw new PartitionUnavailableException(_key, "the partition is closing; retry", e);
        }
    }

    public async Task<AppendAck> AppendAsync(byte[] payload, long? expectedLastId = null, ProducerStamp? stamp = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ValidateAppend(expectedLastId, stamp);
        ThrowIfHandingOver();
        _instruments.AppendCall();
        using var activity = StartAppendSpan(1, payload.Length);
        try
        {
            var r = await Log.AppendAsync(payload, expectedLastId, ToEngine(stamp));
            var ack = new AppendAck(r.FirstId, r.LastId, r.IsDurable, r.IsDuplicate);
            AppendLogTelemetry.Acked(activity, ack);
            return ack;
        }
        catch (Exception e)
        {
            AppendLogTelemetry.Failed(activity, e);
            throw;
        }
    }

    public async Task<AppendAck> AppendBatchAsync(RecordPayloads payloads, long? expectedLastId = null, ProducerStamp? stamp = null)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        ValidateAppend(expectedLastId, stamp);
        ThrowIfHandingOver();
        _instruments.AppendCall();
        using var activity = StartAppendSpan(payloads.Count, payloads.Buffer.Length);
        try
        {
            var r = await Log.AppendBatchAsync(payloads.Slices(), expectedLastId, ToEngine(stamp));
            var ack = new AppendAck(r.FirstId, r.LastId, r.IsDurable, r.IsDuplicate);
            AppendLogTelemetry.Acked(activity, ack);
            return ack;
        }
        catch (Exception e)
        {
            AppendLogTelemetry.Failed(activity, e);
            throw;
        }
    }

    private Activity? StartAppendSpan(int records, long bytes)
    {
        var activity = AppendLogTelemetry.Start(AppendLogTelemetry.GrainAppendSpan, ActivityKind.Internal, _logName, _partition);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("aof.records", records);
            activity.SetTag("aof.bytes", bytes);
            activity.SetTag("aof.epoch", _log?.WriterEpoch);
        }

        return activity;
    }

    public async Task<LogRecordBatch> ReadAsync(long fromId, int maxRecords = 1000, long maxBytes = 4 * 1024 * 1024, bool includeUndurable = false)
    {
        var log = Log;
        var durable = log.DurableId;
        using var activity = AppendLogTelemetry.Start(AppendLogTelemetry.GrainReadSpan, ActivityKind.Internal, _logName, _partition);
        activity?.SetTag("aof.first_id", fromId);
        if (!includeUndurable && _lastRead is { } hit && hit.Matches(fromId, maxRecords, maxBytes, durable))
        {
            // Subscribers woken by one notification ask for the same records: read (and verify) them once. Batches are immutable.
            activity?.SetTag("aof.cached", true);
            activity?.SetTag("aof.records", hit.Batch.Count);
            return hit.Batch;
        }

        LogRecordBatch batch;
        try
        {
            batch = ToContract(await log.ReadAsync(fromId, maxRecords, maxBytes, includeUndurable));
        }
        catch (Exception e)
        {
            AppendLogTelemetry.Failed(activity, e);
            throw;
        }

        activity?.SetTag("aof.records", batch.Count);
        activity?.SetTag("aof.bytes", batch.Buffer.Length);
        if (!includeUndurable)
        {
            _lastRead = new CachedRead(fromId, maxRecords, maxBytes, durable, batch);
        }

        return batch;
    }

    public async Task<HandoverReport> PrepareHandoverAsync()
    {
        var log = Log;
        if (_archive is null)
        {
            throw new PartitionUnavailableException(_key, "it cannot be handed over: no archive is configured on this silo");
        }

        _handingOver = true;
        try
        {
            await log.FlushAsync(_stopping.Token);
            await log.SealAsync(_stopping.Token);
            var archived = 0;
            while (await log.ArchiveNextAsync(_stopping.Token) is not null)
            {
                archived++;
            }

            var (backlog, _) = log.ArchiveBacklog;
            if (backlog > 0)
            {
                throw new PartitionUnavailableException(_key, $"{backlog} sealed segment(s) could not be archived; the handover is abandoned");
            }

            // Everything acknowledged is archived: the new owner continues right after the last id, with no gap.
            await log.ReleaseIdReservationAsync(_stopping.Token);

            LogHandoverPrepared(_logger, _key, log.LastId, archived);
            return new HandoverReport(log.LastId, archived, log.WriterEpoch);
        }
        catch
        {
            _handingOver = false;
            throw;
        }
    }

    public Task CancelHandoverAsync()
    {
        _handingOver = false;
        return Task.CompletedTask;
    }

    public async Task CompleteHandoverAsync()
    {
        if (!_handingOver || _log is not { } log)
        {
            throw new InvalidOperationException($"Partition '{_key}' is not being handed over; call PrepareHandoverAsync first.");
        }

        _log = null;
        try
        {
            await log.CloseAsync(seal: false);
        }
        finally
        {
            _partitions.Remove(_key, log);
            _partitions.Release(_key);
            _health.Forget(_key);
        }

        LogHandedOver(_logger, _key, _siloName);
        DeactivateOnIdle();
    }

    /// <summary>Rejects what the engine must never see: its internal "no expectation" value, or a stamp no producer may use.</summary>
    private static void ValidateAppend(long? expectedLastId, ProducerStamp? stamp)
    {
        if (expectedLastId < -1)
        {
            throw new InvalidRangeException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"expectedLastId {expectedLastId} is not valid: pass -1 for an empty partition, the id of the partition's last record, or null for no expectation. Nothing was written."));
        }

        if (stamp is { } s && (s.ProducerId <= 0 || s.Sequence < 0))
        {
            throw new InvalidProducerStampException(s.ProducerId, s.Sequence, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"ProducerStamp({s.ProducerId}, {s.Sequence}) is not valid: the producer id must be positive and the sequence number not negative. Nothing was written."));
        }
    }

    private void ThrowIfHandingOver()
    {
        if (_handingOver)
        {
            throw new PartitionUnavailableException(_key, "the partition is moving to another silo; retry");
        }
    }

    public async Task<ArchivalReport> RunArchivalAsync(int maxSegments)
    {
        var log = Log;
        if (_archive is null)
        {
            return new ArchivalReport(false, [], [], [], 0, 0, "no archive is configured on this silo");
        }

        using var activity = AppendLogTelemetry.Start(AppendLogTelemetry.ArchivalSpan, ActivityKind.Internal, _logName, _partition);
        var archived = new List<long>();
        IReadOnlyList<Storage.SegmentInfo> evicted = [];
        IReadOnlyList<Storage.SegmentInfo> deleted = [];
        string? error = null;
        try
        {
            while (archived.Count < Math.Max(1, maxSegments) && await log.ArchiveNextAsync(_stopping.Token) is { } segment)
            {
                archived.Add(segment.BaseId);
            }

            evicted = await log.EvictArchivedAsync(_stopping.Token);
            deleted = await log.ApplyRetentionAsync(_stopping.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An outage or a damaged segment: report it; the archiver retries (with backoff), a poke or the reminder too.
            error = e.Message;
            LogArchivalFailed(_logger, _key, e);
            AppendLogTelemetry.Failed(activity, e);
        }

        _instruments.ArchivalRun(_logName, archived.Count, evicted.Count, deleted.Count, error is null);

        if (error is null)
        {
            _health.ArchivalSucceeded(_key);
        }
        else
        {
            _health.ArchivalFailed(_key, error);
        }

        var (backlogSegments, backlogBytes) = log.ArchiveBacklog;
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("aof.archived", archived.Count);
            activity.SetTag("aof.evicted", evicted.Count);
            activity.SetTag("aof.deleted", deleted.Count);
            activity.SetTag("aof.backlog_segments", backlogSegments);
        }

        return new ArchivalReport(true, archived, [.. evicted.Select(static s => s.BaseId)], [.. deleted.Select(static s => s.BaseId)], backlogSegments, backlogBytes, error);
    }

    public async Task<LogRecordBatch> ReadBackwardAsync(long fromId, int maxRecords = 1000, long maxBytes = 4 * 1024 * 1024, bool includeUndurable = false) =>
        ToContract(await Log.ReadBackwardAsync(fromId, maxRecords, maxBytes, includeUndurable));

    public async Task<LogRecordBatch> ReadFromTimestampAsync(DateTimeOffset time, int maxRecords = 1000, long maxBytes = 4 * 1024 * 1024, bool includeUndurable = false) =>
        ToContract(await Log.ReadFromTimestampAsync(time, maxRecords, maxBytes, includeUndurable));

    public async Task<long> FindIdAtTimestampAsync(DateTimeOffset time) => await Log.FindIdAtTimestampAsync(time);

    public Task<PartitionStatus> GetInfoAsync()
    {
        var log = Log;
        var info = log.GetInfo();
        var segments = new SegmentSummary[info.Segments.Count];
        for (var i = 0; i < segments.Length; i++)
        {
            segments[i] = ToContract(info.Segments[i]);
        }

        var (backlogSegments, backlogBytes) = log.ArchiveBacklog;
        var failure = _health.FailureOf(_key);
        var archive = new PartitionArchiveStatus(
            _archive is not null, backlogSegments, backlogBytes, _options.MaxArchiveBacklogSegments, _options.MaxArchiveBacklogBytes, failure?.Error, failure?.Since, failure?.Runs ?? 0);
        return Task.FromResult(new PartitionStatus(
            info.Log, info.Partition, info.State.ToString(), info.FaultReason, info.FirstId, info.LastId, info.DurableId, info.WriterEpoch,
            EngineErrors.ToContract(info.FlushPolicy), _siloName, segments, archive));
    }

    public Task<FlushStatistics> GetFlushStatisticsAsync()
    {
        var m = Log.GetFlushMetrics();
        return Task.FromResult(new FlushStatistics(m.TotalFlushes, m.FailedFlushes, m.RecordsFlushed, m.BytesFlushed, m.PendingRecords, m.LatencyP50, m.LatencyP99, m.MaxRecordsPerFlush));
    }

    public async Task<long> FlushAsync() => await Log.FlushAsync();

    public async Task<SegmentSummary?> SealAsync()
    {
        ThrowIfHandingOver();
        var sealedSegment = await Log.SealAsync();
        return sealedSegment is null ? null : ToContract(sealedSegment);
    }

    public async Task SetFlushPolicyAsync(LogFlushPolicy policy) => await Log.SetFlushPolicyAsync(EngineErrors.ToEngine(policy));

    public async Task<long> WaitForTailAsync(long knownDurableId, TimeSpan maxWait)
    {
        var log = Log;
        var wait = maxWait > _options.MaxTailWait ? _options.MaxTailWait : maxWait;
        if (wait <= TimeSpan.Zero || log.DurableId > knownDurableId)
        {
            return log.DurableId;
        }

        using var timeout = new CancellationTokenSource(wait, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
        try
        {
            return await log.WaitForDurableAdvanceAsync(knownDurableId, linked.Token);
        }
        catch (OperationCanceledException)
        {
            return log.DurableId;
        }
    }

    public Task<TailAdvanced> RegisterTailListenerAsync(ITailListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        var log = Log;
        if (_options.DirectTailPush && (_listeners.Contains(listener) || _listeners.Count < _options.MaxTailListeners) && _listeners.Add(listener))
        {
            _listenerSnapshot = [.. _listeners];
        }

        return Task.FromResult(new TailAdvanced(_logName, _partition, log.DurableId, log.WriterEpoch));
    }

    public Task UnregisterTailListenerAsync(ITailListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        if (_listeners.Remove(listener))
        {
            _listenerSnapshot = [.. _listeners];
        }

        return Task.CompletedTask;
    }

    /// <summary>Pushes one notification to the direct listeners each time the durable id advances; runs on the grain's scheduler until deactivation.</summary>
    private async Task RunTailLoopAsync(PartitionLog log)
    {
        // Runs as long as the activation: each delivery is a trace of its own, not a child of whatever activated the grain.
        Activity.Current = null;
        var known = log.DurableId;
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            long durable;
            try
            {
                durable = await log.WaitForDurableAdvanceAsync(known, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (durable <= known || token.IsCancellationRequested)
            {
                if (log.State == PartitionState.Closed)
                {
                    return;
                }

                continue;
            }

            var from = known + 1;
            known = durable;
            try
            {
                var records = _listenerSnapshot.Length > 0 ? await TryReadInlineAsync(from) : null;
                await _interceptor.OnPublishAsync(new TailAdvanced(_logName, _partition, durable, log.WriterEpoch, records), _deliver);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPublishFailed(_logger, _key, e);
            }
        }
    }

    /// <summary>The records from <paramref name="fromId"/> when they are few enough to ride on the push (through the shared read, which the subscribers that still pull then hit).</summary>
    private async Task<LogRecordBatch?> TryReadInlineAsync(long fromId)
    {
        if (_options.InlineTailBytes <= 0)
        {
            return null;
        }

        try
        {
            var batch = await ReadAsync(fromId, InlineTailRecords, _options.InlineTailBytes);
            return batch.Count > 0 && batch.Buffer.Length <= _options.InlineTailBytes ? batch : null;
        }
        catch (Engine.AppendLogException)
        {
            return null;
        }
    }

    /// <summary>Publishes the newest durable id on the tail stream, at most once per <see cref="AppendLogOptions.StreamNotificationInterval"/>.</summary>
    private async Task RunStreamLoopAsync(PartitionLog log)
    {
        Activity.Current = null;
        var published = log.DurableId;
        var token = _stopping.Token;
        var interval = _options.StreamNotificationInterval;
        while (!token.IsCancellationRequested)
        {
            long durable;
            try
            {
                durable = await log.WaitForDurableAdvanceAsync(published, token);
                if (durable <= published)
                {
                    if (log.State == PartitionState.Closed)
                    {
                        return;
                    }

                    continue;
                }

                if (interval > TimeSpan.Zero)
                {
                    // Trailing edge: wait out the interval, then send the newest id.
                    await Task.Delay(interval, _time, token);
                    durable = log.DurableId;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            published = durable;
            try
            {
                await _interceptor.OnPublishAsync(new TailAdvanced(_logName, _partition, durable, log.WriterEpoch), _publish);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPublishFailed(_logger, _key, e);
            }
        }
    }

    private ValueTask PushToListeners(TailAdvanced notification)
    {
        _instruments.Notification();
        using var activity = StartDeliverySpan(notification, "direct");
        activity?.SetTag("aof.listeners", _listenerSnapshot.Length);
        foreach (var listener in _listenerSnapshot)
        {
            // One-way: returns at once; a slow or dead listener never holds the partition up.
            _ = listener.OnTailAdvancedAsync(notification);
        }

        return ValueTask.CompletedTask;
    }

    private async ValueTask PublishToStreamAsync(TailAdvanced notification)
    {
        _instruments.Notification();
        using var activity = StartDeliverySpan(notification, "stream");
        try
        {
            await _stream!.OnNextAsync(notification);
        }
        catch (Exception e)
        {
            AppendLogTelemetry.Failed(activity, e);
            throw;
        }
    }

    private Activity? StartDeliverySpan(TailAdvanced notification, string path)
    {
        var activity = AppendLogTelemetry.Start(AppendLogTelemetry.TailDeliverySpan, ActivityKind.Producer, _logName, _partition);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("aof.last_id", notification.LastDurableId);
            activity.SetTag("aof.epoch", notification.Epoch);
            activity.SetTag("aof.path", path);
            activity.SetTag("aof.records", notification.Records?.Count ?? 0);
        }

        return activity;
    }

    private static Engine.ProducerStamp? ToEngine(ProducerStamp? stamp) =>
        stamp is { } s ? new Engine.ProducerStamp(s.ProducerId, s.Sequence) : null;

    internal static LogRecordBatch ToContract(RecordBatch batch)
    {
        var source = batch.Entries;
        var entries = new LogRecordEntry[source.Length];
        for (var i = 0; i < source.Length; i++)
        {
            var e = source[i];
            entries[i] = new LogRecordEntry(e.Id, e.TimestampMicros, e.Offset, e.Length);
        }

        return new LogRecordBatch(batch.Buffer, entries, batch.NextId);
    }

    private static SegmentSummary ToContract(SegmentInfo s) =>
        new(s.BaseId, s.LastId, s.RecordCount, s.Status.ToString(), s.SizeBytes, s.CreatedAt, s.SealedAt, s.WriterEpoch, s.FileName);

    /// <summary>The last durable read and the durable id it was made at: the same read answers the same while that id holds.</summary>
    private sealed record CachedRead(long FromId, int MaxRecords, long MaxBytes, long DurableId, LogRecordBatch Batch)
    {
        public bool Matches(long fromId, int maxRecords, long maxBytes, long durableId) =>
            FromId == fromId && MaxRecords == maxRecords && MaxBytes == maxBytes && DurableId == durableId;
    }

    [LoggerMessage(1, LogLevel.Information, "Partition {Partition} activated on silo {Silo} at epoch {Epoch}, last id {LastId}")]
    private static partial void LogActivated(ILogger logger, string partition, string silo, long epoch, long lastId);

    [LoggerMessage(2, LogLevel.Information, "Partition {Partition} deactivated ({Reason})")]
    private static partial void LogDeactivated(ILogger logger, string partition, string reason);

    [LoggerMessage(3, LogLevel.Warning, "Partition {Partition} could not be opened")]
    private static partial void LogOpenFailed(ILogger logger, string partition, Exception exception);

    [LoggerMessage(4, LogLevel.Warning, "Partition {Partition} failed to close cleanly")]
    private static partial void LogCloseFailed(ILogger logger, string partition, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "Partition {Partition} failed to publish a tail notification")]
    private static partial void LogPublishFailed(ILogger logger, string partition, Exception exception);

    [LoggerMessage(7, LogLevel.Information, "Partition {Partition} prepared for handover: sealed and archived up to id {LastId} ({Archived} segment(s) archived now); appends are refused")]
    private static partial void LogHandoverPrepared(ILogger logger, string partition, long lastId, int archived);

    [LoggerMessage(8, LogLevel.Information, "Partition {Partition} handed over by silo {Silo}: closed here")]
    private static partial void LogHandedOver(ILogger logger, string partition, string silo);

    [LoggerMessage(6, LogLevel.Warning, "Partition {Partition}: archival stopped early; the next run retries")]
    private static partial void LogArchivalFailed(ILogger logger, string partition, Exception exception);
}
