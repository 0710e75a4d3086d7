using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Streams;
using OrleansAof.Server.Ownership;
using OrleansAof.Server.Replicated;
using OrleansAof.Storage;
using Engine = OrleansAof.Storage;

namespace OrleansAof.Server;

/// <summary>
/// Serves one partition: owns the engine's <see cref="PartitionLog"/> for <c>{log}/{partition}</c> while active.
/// Reentrant, so concurrent appends share one group commit; it only orchestrates (the engine parses every byte).
/// Placed on the partition's owner silo only and never moved (<see cref="PartitionOwnership"/>), and opened only after
/// <see cref="PartitionFence"/> confirmed the owner. Tail delivery is <see cref="PartitionTailDelivery"/>, which the grain
/// owns; the control plane (<see cref="IPartitionAdminGrain"/>: archival runs, handover) is in <c>PartitionGrain.Admin.cs</c>.
/// </summary>
[PartitionOwnerPlacement]
[Immovable]
[Reentrant]
internal sealed partial class PartitionGrain : Grain, IPartitionGrain, IPartitionAdminGrain, IIncomingGrainCallFilter, IDisposable
{
    /// <summary>The state <see cref="GetInfoAsync"/> reports for a partition nothing was ever written to (it has no folder).</summary>
    internal const string NeverCreatedState = "NeverCreated";
    private static readonly TimeSpan PreviousActivationCloseTimeout = TimeSpan.FromSeconds(10);
    private readonly AppendLogOptions _options;
    private readonly OpenPartitions _partitions;
    private readonly ITailNotificationInterceptor _interceptor;
    private readonly ServerInstruments _instruments;
    private readonly ILoggerFactory _loggerFactory;
    private readonly PartitionFence _fence;
    private readonly AppendLogHealth _health;
    private readonly ReplicaNodes _replicaNodes;
    private bool _handingOver;
    private readonly Storage.Archive.ConfiguredSegmentArchive? _archive;
    private readonly TimeProvider _time;
    private readonly string _siloName;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private string _key = "";
    private string _logName = "";
    private string _partition = "";
    private PartitionLog? _log;
    private bool _neverCreated;
    private bool _holdsSlot;
    private Task<bool>? _creating;
    private readonly TaskCompletionSource _created = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PartitionTailDelivery? _tail;
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
        PartitionFence fence,
        AppendLogHealth health,
        ReplicaNodes replicaNodes)
    {
        _replicaNodes = replicaNodes;
        _fence = fence;
        _health = health;
        _options = options.Value;
        _partitions = partitions;
        _interceptor = interceptor;
        _instruments = instruments;
        _time = time;
        _siloName = _options.SiloName ?? silo.Name;
        _logger = loggerFactory.CreateLogger<PartitionGrain>();
        _loggerFactory = loggerFactory;
        _archive = services.GetService(typeof(Storage.Archive.ConfiguredSegmentArchive)) as Storage.Archive.ConfiguredSegmentArchive;
    }

    private PartitionLog Log => _log ?? throw new PartitionUnavailableException(_key, "the partition is not open on this activation");

    /// <summary>The activation's tail delivery, made when it activates.</summary>
    private PartitionTailDelivery Tail => _tail ?? throw new PartitionUnavailableException(_key, "the partition is not active; retry");

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = this.GetPrimaryKeyString();
        (_logName, _partition) = PartitionKey.Parse(_key);
        _tail = new PartitionTailDelivery(_options, _interceptor, _instruments, _time, _logger, _key, (fromId, maxRecords, maxBytes) => ReadAsync(fromId, maxRecords, maxBytes), _stopping.Token);
        if (_options.ReplicationFactorOf(_logName) > 1)
        {
            // A replicated partition: this activation is its leader (docs/replication.md, "The grain layer").
            await ActivateReplicatedAsync(cancellationToken);
            return;
        }

        await _fence.EnsureOwnerAsync(_logName, _partition);
        if (!await _partitions.AcquireAsync(_key, GrainContext, PreviousActivationCloseTimeout, cancellationToken))
        {
            throw new PartitionUnavailableException(_key, "its previous activation on this silo is still closing; retry");
        }

        _holdsSlot = true;
        try
        {
            // A partition that was never created stays so until something is written: reads never create partitions.
            _neverCreated = !await OpenAsync(create: false, cancellationToken);
        }
        catch
        {
            ReleaseSlot();
            throw;
        }

        if (_neverCreated)
        {
            LogActivatedNeverCreated(_logger, _key, _siloName);
        }
    }

    /// <summary>
    /// Opens the partition's engine and starts its tail and stream loops. Without <paramref name="create"/>, returns false
    /// and creates nothing when the partition does not exist. The slot on this silo stays held either way.
    /// </summary>
    private async Task<bool> OpenAsync(bool create, CancellationToken cancellationToken)
    {
        var archiver = _archive is null ? null : GrainFactory.GetGrain<IPartitionArchiverGrain>(_key);
        var environment = new PartitionLogEnvironment
        {
            LoggerFactory = _loggerFactory,
            TimeProvider = _time,
            Archive = _archive?.Archive,
            IdBounds = new Ownership.GrainIdBoundStore(GrainFactory),
            SegmentSealed = archiver is not null && _options.ArchiveOnSeal ? _ => archiver.PokeAsync().Ignore() : null,
        };
        var engineOptions = _options.ToEngineOptions(_options.DataRootFor(_siloName));
        engineOptions.CreateIfMissing = create;
        PartitionLog log;
        try
        {
            log = await PartitionLog.OpenAsync(_logName, _partition, engineOptions, environment, cancellationToken);
        }
        catch (Engine.PartitionNotFoundException) when (!create)
        {
            return false;
        }
        catch (Engine.AppendLogException e)
        {
            LogOpenFailed(_logger, _key, e);
            throw EngineErrors.ToContract(e, _key);
        }

        _partitions.Add(_key, log);
        IAsyncStream<TailAdvanced>? stream = null;
        try
        {
            if (!string.IsNullOrEmpty(_options.TailStreamProvider))
            {
                stream = this.GetStreamProvider(_options.TailStreamProvider).GetStream<TailAdvanced>(StreamId.Create(AppendLogStreams.TailNamespace, _key));
            }
        }
        catch
        {
            _partitions.Remove(_key, log);
            await CloseQuietlyAsync(log);
            throw;
        }

        _log = log;
        _instruments.Activation();
        LogActivated(_logger, _key, _siloName, log.WriterEpoch, log.LastId);
        if (archiver is not null)
        {
            // Registers the archiver's reminder and archives whatever waits from an earlier life.
            archiver.PokeAsync().Ignore();
        }

        Tail.Start(log, stream);
        return true;
    }

    /// <summary>
    /// Creates a partition that was never created, once, for the first call that writes (concurrent ones share it; a failed
    /// creation is tried again by the next call).
    /// </summary>
    private async Task CreateAsync()
    {
        var creating = _creating ??= OpenAsync(create: true, _stopping.Token);
        try
        {
            await creating;
        }
        catch
        {
            if (ReferenceEquals(_creating, creating))
            {
                _creating = null;
            }

            throw;
        }

        _neverCreated = false;
        _created.TrySetResult();
    }

    /// <summary>Closes the partition's files and gives its slot on this silo back, even when closing fails.</summary>
    private async Task CloseAndReleaseAsync(PartitionLog log, bool seal)
    {
        try
        {
            await CloseQuietlyAsync(log, seal);
        }
        finally
        {
            _partitions.Remove(_key, log);
            ReleaseSlot();
            _health.Forget(_key);
        }
    }

    /// <summary>Gives this activation's slot on the silo back, once.</summary>
    private void ReleaseSlot()
    {
        if (_holdsSlot)
        {
            _holdsSlot = false;
            _partitions.Release(_key);
        }
    }

    private async Task CloseQuietlyAsync(PartitionLog log, bool seal = false)
    {
        try
        {
            await log.CloseAsync(seal);
        }
        catch (Exception e) when (e is Engine.AppendLogException or IOException)
        {
            LogCloseFailed(_logger, _key, e);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_replicated is { } replicated)
        {
            _replicated = null;
            await replicated.DisposeAsync();
        }
        else if (_log is { } log)
        {
            await CloseAndReleaseAsync(log, _options.SealOnDeactivate);
        }
        else
        {
            // Never created (or its creation failed): only the slot to give back.
            ReleaseSlot();
        }

        if (_tail is { } tail)
        {
            await tail.StopAsync();
        }

        // The partition's id bound record was activated by this open (or by the check that found it never created): it
        // leaves memory with the partition instead of waiting for Orleans' idle collection.
        GrainFactory.GetGrain<IPartitionRecordGrain>(_key).ReleaseAsync().Ignore();
        LogDeactivated(_logger, _key, reason.ReasonCode.ToString());
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>
    /// Maps every engine error of every call to its wire exception, in one place; creates a partition that was never
    /// created before the first call that writes (reads of it answer as an empty partition and create nothing).
    /// </summary>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            if (_neverCreated && context.InterfaceMethod?.Name is nameof(AppendAsync) or nameof(AppendBatchAsync) or nameof(SealAsync) or nameof(SetFlushPolicyAsync))
            {
                await CreateAsync();
            }

            await context.Invoke();
        }
        catch (Replication.ReplicationProtocolException e)
        {
            throw new PartitionUnavailableException(_key, "a replica stopped on a protocol violation; an operator must look at it", e);
        }
        catch (Engine.AppendLogException e)
        {
            throw EngineErrors.ToContract(e, _key);
        }
        catch (ObjectDisposedException e) when (_stopping.IsCancellationRequested || _log?.State == PartitionState.Closed)
        {
            throw new PartitionUnavailableException(_key, "the partition is closing; retry", e);
        }
        finally
        {
            _partitions.Touch(_key);
            if (_replicated is { IsDeposed: true })
            {
                // A newer epoch leads elsewhere: the next call activates the partition where placement says.
                DeactivateOnIdle();
            }
        }
    }

    public async Task<AppendAck> AppendAsync(byte[] payload, long? expectedLastId = null, ProducerStamp? stamp = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ValidateAppend(expectedLastId, stamp);
        ThrowIfHandingOver();
        if (_replicated is { } replicated)
        {
            return await AppendReplicatedAsync(replicated, [payload], expectedLastId, stamp);
        }

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
        if (_replicated is { } replicated)
        {
            return await AppendReplicatedAsync(replicated, payloads.Slices(), expectedLastId, stamp);
        }

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
        if (_replicated is { } replicated)
        {
            return await ReadReplicatedAsync(replicated, fromId, maxRecords, maxBytes);
        }

        if (_neverCreated)
        {
            return ToContract(PartitionLog.ReadNeverCreated(fromId, maxRecords, maxBytes));
        }

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

    public async Task<LogRecordBatch> ReadBackwardAsync(long fromId, int maxRecords = 1000, long maxBytes = 4 * 1024 * 1024, bool includeUndurable = false) =>
        _replicated is { } replicated
            ? ToContract(await replicated.Log.ReadBackwardAsync(Math.Min(fromId, replicated.VisibleThroughId), maxRecords, maxBytes, includeUndurable: true))
            : _neverCreated
            ? ToContract(PartitionLog.ReadNeverCreated(fromId, maxRecords, maxBytes, backward: true))
            : ToContract(await Log.ReadBackwardAsync(fromId, maxRecords, maxBytes, includeUndurable));

    public async Task<LogRecordBatch> ReadFromTimestampAsync(DateTimeOffset time, int maxRecords = 1000, long maxBytes = 4 * 1024 * 1024, bool includeUndurable = false) =>
        _replicated is { } replicated
            ? await ReadReplicatedAsync(replicated, await replicated.Log.FindIdAtTimestampAsync(time), maxRecords, maxBytes)
            : _neverCreated
            ? ToContract(PartitionLog.ReadNeverCreated(0, maxRecords, maxBytes))
            : ToContract(await Log.ReadFromTimestampAsync(time, maxRecords, maxBytes, includeUndurable));

    public async Task<long> FindIdAtTimestampAsync(DateTimeOffset time) =>
        _replicated is { } replicated
            ? Math.Min(await replicated.Log.FindIdAtTimestampAsync(time), replicated.VisibleThroughId + 1)
            : _neverCreated ? 0 : await Log.FindIdAtTimestampAsync(time);

    public Task<PartitionStatus> GetInfoAsync()
    {
        if (_replicated is { } replicated)
        {
            return Task.FromResult(ReplicatedStatus(replicated));
        }

        if (_neverCreated)
        {
            return Task.FromResult(new PartitionStatus(
                _logName, _partition, NeverCreatedState, null, 0, -1, -1, 0, EngineErrors.ToContract(Storage.FlushPolicy.Parse(_options.FlushPolicy)), _siloName, [],
                ArchiveStatus(0, 0)));
        }

        var log = Log;
        var info = log.GetInfo();
        var segments = new SegmentSummary[info.Segments.Count];
        for (var i = 0; i < segments.Length; i++)
        {
            segments[i] = ToContract(info.Segments[i]);
        }

        var (backlogSegments, backlogBytes) = log.ArchiveBacklog;
        var archive = ArchiveStatus(backlogSegments, backlogBytes);
        return Task.FromResult(new PartitionStatus(
            info.Log, info.Partition, info.State.ToString(), info.FaultReason, info.FirstId, info.LastId, info.DurableId, info.WriterEpoch,
            EngineErrors.ToContract(info.FlushPolicy), _siloName, segments, archive));
    }

    private PartitionArchiveStatus ArchiveStatus(int backlogSegments, long backlogBytes)
    {
        var failure = _health.FailureOf(_key);
        return new PartitionArchiveStatus(
            _archive is not null, backlogSegments, backlogBytes, _options.MaxArchiveBacklogSegments, _options.MaxArchiveBacklogBytes, failure?.Error, failure?.Since, failure?.Runs ?? 0);
    }

    public Task<FlushStatistics> GetFlushStatisticsAsync()
    {
        if (_replicated is { } replicated)
        {
            var r = replicated.Log.GetFlushMetrics();
            return Task.FromResult(new FlushStatistics(r.TotalFlushes, r.FailedFlushes, r.RecordsFlushed, r.BytesFlushed, r.PendingRecords, r.LatencyP50, r.LatencyP99, r.MaxRecordsPerFlush));
        }

        if (_neverCreated)
        {
            return Task.FromResult(new FlushStatistics(0, 0, 0, 0, 0, TimeSpan.Zero, TimeSpan.Zero, 0));
        }

        var m = Log.GetFlushMetrics();
        return Task.FromResult(new FlushStatistics(m.TotalFlushes, m.FailedFlushes, m.RecordsFlushed, m.BytesFlushed, m.PendingRecords, m.LatencyP50, m.LatencyP99, m.MaxRecordsPerFlush));
    }

    public async Task<long> FlushAsync() => _replicated is { } replicated ? await replicated.FlushAsync() : _neverCreated ? -1 : await Log.FlushAsync();

    public async Task<SegmentSummary?> SealAsync()
    {
        ThrowIfHandingOver();
        ThrowIfReplicated(nameof(SealAsync));
        var sealedSegment = await Log.SealAsync();
        return sealedSegment is null ? null : ToContract(sealedSegment);
    }

    public async Task SetFlushPolicyAsync(LogFlushPolicy policy)
    {
        ThrowIfReplicated(nameof(SetFlushPolicyAsync));
        await Log.SetFlushPolicyAsync(EngineErrors.ToEngine(policy));
    }

    public async Task<long> WaitForTailAsync(long knownDurableId, TimeSpan maxWait)
    {
        var wait = maxWait > _options.MaxTailWait ? _options.MaxTailWait : maxWait;
        if (_replicated is { } replicated)
        {
            return await replicated.WaitForVisibleAsync(knownDurableId, wait, _stopping.Token);
        }

        if (_neverCreated)
        {
            // Waits for the first write to create the partition, then for its tail like any other.
            var started = _time.GetTimestamp();
            if (wait <= TimeSpan.Zero || !await WaitAsync(_created.Task, wait))
            {
                return -1;
            }

            wait -= _time.GetElapsedTime(started);
        }

        var log = Log;
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
        ThrowIfReplicated(nameof(RegisterTailListenerAsync));
        var log = _neverCreated ? null : Log;
        Tail.Register(listener, log?.DurableId ?? -1);

        // A partition that was never created notifies its listeners once the first write created it.
        return Task.FromResult(new TailAdvanced(_logName, _partition, log?.DurableId ?? -1, log?.WriterEpoch ?? 0));
    }

    /// <summary>Whether <paramref name="task"/> completed within <paramref name="timeout"/> (or before the activation stops).</summary>
    private async Task<bool> WaitAsync(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout, _time, _stopping.Token);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    public Task UnregisterTailListenerAsync(ITailListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        Tail.Unregister(listener);
        return Task.CompletedTask;
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

    [LoggerMessage(12, LogLevel.Debug, "Partition {Partition} activated on silo {Silo} without files: nothing was ever written to it; the first write creates it")]
    private static partial void LogActivatedNeverCreated(ILogger logger, string partition, string silo);

    [LoggerMessage(1, LogLevel.Information, "Partition {Partition} activated on silo {Silo} at epoch {Epoch}, last id {LastId}")]
    private static partial void LogActivated(ILogger logger, string partition, string silo, long epoch, long lastId);

    [LoggerMessage(2, LogLevel.Information, "Partition {Partition} deactivated ({Reason})")]
    private static partial void LogDeactivated(ILogger logger, string partition, string reason);

    [LoggerMessage(3, LogLevel.Warning, "Partition {Partition} could not be opened")]
    private static partial void LogOpenFailed(ILogger logger, string partition, Exception exception);

    [LoggerMessage(4, LogLevel.Warning, "Partition {Partition} failed to close cleanly")]
    private static partial void LogCloseFailed(ILogger logger, string partition, Exception exception);
}
