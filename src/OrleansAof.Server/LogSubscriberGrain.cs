using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace OrleansAof.Server;

/// <summary>The durable state of a <see cref="LogSubscriberGrain{TModel}"/>: a checkpoint per partition and the read model, written together.</summary>
/// <typeparam name="TModel">The read model the subscriber folds records into.</typeparam>
[GenerateSerializer]
[Alias("aof.LogSubscriberState`1")]
public sealed class LogSubscriberState<TModel>
    where TModel : class, new()
{
    /// <summary>The next id to process, by partition key <c>{log}/{partition}</c>.</summary>
    [Id(0)]
    public Dictionary<string, long> Checkpoints { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The read model.</summary>
    [Id(1)]
    public TModel Model { get; set; } = new();
}

/// <summary>
/// Base class of grains that follow partitions: notify, then pull. Each record reaches
/// <see cref="OnRecordsAsync"/> once and in order; the checkpoint and <see cref="Model"/> are saved together after each
/// batch, so a lost, duplicated or reordered notification only costs latency.
/// </summary>
/// <remarks>
/// <para><b>Implicit subscription</b>: put <c>[ImplicitStreamSubscription(AppendLogStreams.TailNamespace)]</c> on the
/// derived class; each partition then gets its own subscriber activation keyed like the partition (<c>{log}/{partition}</c>),
/// started by the first notification. <b>Explicit subscription</b>: call <see cref="ILogSubscriber.SubscribeAsync"/> on a
/// subscriber with any key; it follows every partition it subscribed to.</para>
/// <para>Notifications arrive pushed straight from the partition (the low-latency path) and on the tail stream (which
/// also wakes an inactive subscriber). A timer re-checks every partition (<see cref="LogSubscriberOptions.RecheckInterval"/>)
/// as the safety net. Appends never wait for subscribers.</para>
/// <para>Handler failures leave the checkpoint where it was: the batch is delivered again on the next notification or tick.</para>
/// </remarks>
/// <typeparam name="TModel">The read model the subscriber folds records into, saved with the checkpoints.</typeparam>
public abstract partial class LogSubscriberGrain<TModel> : Grain, ILogSubscriber
    where TModel : class, new()
{
    private readonly IPersistentState<LogSubscriberState<TModel>> _state;
    private readonly Dictionary<string, long> _epochs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StreamSubscriptionHandle<TailAdvanced>> _streamHandles = new(StringComparer.Ordinal);
    private LogSubscriberOptions _options = new();
    private ILogger _logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    private ITailListener? _self;
    private TimeProvider _time = TimeProvider.System;
    private bool _dirty;
    private long _lastWrite;
    private IGrainTimer? _saveTimer;

    /// <summary>Creates the subscriber over its persistent state (declare it with <c>[PersistentState("name", "storage")]</c> in the derived constructor).</summary>
    protected LogSubscriberGrain(IPersistentState<LogSubscriberState<TModel>> state)
    {
        _state = state;
    }

    /// <summary>The read model, saved with the checkpoints after each batch.</summary>
    protected TModel Model => _state.State.Model;

    /// <summary>The next id to process, by partition key.</summary>
    protected IReadOnlyDictionary<string, long> Checkpoints => _state.State.Checkpoints;

    /// <summary>Whether this grain class follows the partition named by its own key through an implicit stream subscription.</summary>
    protected virtual bool IsImplicitSubscriber => GetType().IsDefined(typeof(ImplicitStreamSubscriptionAttribute), inherit: true);

    /// <summary>For an implicit subscriber: whether to follow <paramref name="log"/>/<paramref name="partition"/> (every partition publishes on the tail namespace). Default true.</summary>
    protected virtual bool Follows(string log, string partition) => true;

    /// <summary>Handles the next records of a partition, in order; the checkpoint moves past them once this returns.</summary>
    /// <param name="log">The log.</param>
    /// <param name="partition">The partition.</param>
    /// <param name="batch">The records, from the checkpoint on.</param>
    protected abstract Task OnRecordsAsync(string log, string partition, LogRecordBatch batch);

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _options = ServiceProvider.GetRequiredService<IOptions<LogSubscriberOptions>>().Value;
        _time = ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System;
        _logger = ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(GetType());
        _self = this.AsReference<ITailListener>();
        var checkpoints = _state.State.Checkpoints;
        string? implicitKey = null;
        if (IsImplicitSubscriber)
        {
            implicitKey = this.GetPrimaryKeyString();
            var (log, partition) = PartitionKey.Parse(implicitKey);
            if (Follows(log, partition) && checkpoints.TryAdd(implicitKey, 0))
            {
                await _state.WriteStateAsync(cancellationToken);
            }
        }

        foreach (var key in checkpoints.Keys)
        {
            await AttachStreamAsync(key, isImplicit: key == implicitKey);
        }

        this.RegisterGrainTimer(static (self, _) => self.RecheckAllAsync(), this, new GrainTimerCreationOptions(TimeSpan.Zero, _options.RecheckInterval) { Interleave = false, KeepAlive = false });
        await base.OnActivateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_dirty)
        {
            await _state.WriteStateAsync(cancellationToken);
            _dirty = false;
        }

        // At silo shutdown the partitions go too; a registration dies with its partition activation anyway.
        if (reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
        {
            foreach (var key in _state.State.Checkpoints.Keys)
            {
                Forget(GrainFactory.GetGrain<IPartitionGrain>(key).UnregisterTailListenerAsync(_self!));
            }
        }

        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <inheritdoc />
    public Task OnTailAdvancedAsync(TailAdvanced notification) => HandleNotificationAsync(notification);

    /// <inheritdoc />
    public async Task SubscribeAsync(string log, string partition, long fromId = 0)
    {
        var key = PartitionKey.Format(log, partition);
        if (fromId < 0)
        {
            throw new InvalidRangeException($"A subscription starts at an id of 0 or more; {fromId} was given.");
        }

        if (_state.State.Checkpoints.TryAdd(key, fromId))
        {
            await _state.WriteStateAsync();
            await AttachStreamAsync(key, isImplicit: false);
        }

        await RecheckAsync(key);
    }

    /// <inheritdoc />
    public async Task UnsubscribeAsync(string log, string partition)
    {
        var key = PartitionKey.Format(log, partition);
        if (!_state.State.Checkpoints.Remove(key))
        {
            return;
        }

        await _state.WriteStateAsync();
        _epochs.Remove(key);
        if (_streamHandles.Remove(key, out var handle))
        {
            await handle.UnsubscribeAsync();
        }

        await GrainFactory.GetGrain<IPartitionGrain>(key).UnregisterTailListenerAsync(_self!);
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, long>> GetCheckpointsAsync() =>
        Task.FromResult<IReadOnlyDictionary<string, long>>(new Dictionary<string, long>(_state.State.Checkpoints, StringComparer.Ordinal));

    private async Task AttachStreamAsync(string key, bool isImplicit)
    {
        if (string.IsNullOrEmpty(_options.StreamProvider))
        {
            return;
        }

        var stream = this.GetStreamProvider(_options.StreamProvider).GetStream<TailAdvanced>(StreamId.Create(AppendLogStreams.TailNamespace, key));
        StreamSubscriptionHandle<TailAdvanced>? handle = null;
        if (!isImplicit)
        {
            foreach (var existing in await stream.GetAllSubscriptionHandles())
            {
                handle = await existing.ResumeAsync(OnStreamItemAsync);
            }
        }

        handle ??= await stream.SubscribeAsync(OnStreamItemAsync);
        _streamHandles[key] = handle;
    }

    private Task OnStreamItemAsync(TailAdvanced notification, StreamSequenceToken? token) => HandleNotificationAsync(notification);

    private async Task HandleNotificationAsync(TailAdvanced notification)
    {
        var key = notification.PartitionKey;
        if (!_state.State.Checkpoints.TryGetValue(key, out var next))
        {
            return;
        }

        if (!_epochs.TryGetValue(key, out var epoch) || notification.Epoch > epoch)
        {
            // A new activation of the partition: it does not know this listener yet.
            await RegisterAsync(key);
        }

        if (notification.Records is { Count: > 0 } records && records.Entries[0].Id == next)
        {
            // The push carried exactly the records this subscriber needs next: no read.
            var (log, partition) = PartitionKey.Parse(key);
            await OnRecordsAsync(log, partition, records);
            _state.State.Checkpoints[key] = next = records.NextId;
            await SaveAsync(force: false);
        }

        if (notification.LastDurableId >= next)
        {
            await CatchUpAsync(key, notification.LastDurableId);
        }
    }

    private async Task RecheckAllAsync()
    {
        if (_dirty)
        {
            await SaveAsync(force: true);
        }

        foreach (var key in _state.State.Checkpoints.Keys.ToArray())
        {
            await RecheckAsync(key);
        }
    }

    private async Task RecheckAsync(string key)
    {
        if (await RegisterAsync(key) is { } tail && _state.State.Checkpoints.TryGetValue(key, out var next) && tail.LastDurableId >= next)
        {
            await CatchUpAsync(key, tail.LastDurableId);
        }
    }

    private async Task<TailAdvanced?> RegisterAsync(string key)
    {
        try
        {
            var tail = await GrainFactory.GetGrain<IPartitionGrain>(key).RegisterTailListenerAsync(_self!);
            _epochs[key] = tail.Epoch;
            return tail;
        }
        catch (AppendLogException e)
        {
            LogPartitionUnreachable(_logger, key, e);
            return null;
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            LogPartitionUnreachable(_logger, key, e);
            return null;
        }
    }

    /// <summary>Pulls from the checkpoint until the partition has nothing more or <paramref name="durableHint"/> is passed.</summary>
    private async Task CatchUpAsync(string key, long durableHint)
    {
        var (log, partition) = PartitionKey.Parse(key);
        var grain = GrainFactory.GetGrain<IPartitionGrain>(key);
        while (_state.State.Checkpoints.TryGetValue(key, out var next))
        {
            LogRecordBatch batch;
            try
            {
                batch = await grain.ReadAsync(next, _options.MaxRecordsPerRead, _options.MaxBytesPerRead);
            }
            catch (RecordTrimmedException e)
            {
                LogSkippedTrimmed(_logger, key, next, e.FirstId);
                _state.State.Checkpoints[key] = e.FirstId;
                await _state.WriteStateAsync();
                continue;
            }
            catch (Exception e) when (e is AppendLogException or OrleansException or TimeoutException)
            {
                LogPartitionUnreachable(_logger, key, e);
                return;
            }

            if (batch.Count == 0)
            {
                return;
            }

            await OnRecordsAsync(log, partition, batch);
            _state.State.Checkpoints[key] = batch.NextId;
            await SaveAsync(force: false);
            if (batch.NextId > durableHint)
            {
                return;
            }
        }
    }

    /// <summary>Writes the state now, or at most once per <see cref="LogSubscriberOptions.CheckpointInterval"/> (a one-shot timer writes what is left).</summary>
    private async Task SaveAsync(bool force)
    {
        var interval = _options.CheckpointInterval;
        var elapsed = _time.GetElapsedTime(_lastWrite);
        if (force || interval <= TimeSpan.Zero || elapsed >= interval)
        {
            await _state.WriteStateAsync();
            _lastWrite = _time.GetTimestamp();
            _dirty = false;
            return;
        }

        _dirty = true;
        _saveTimer ??= this.RegisterGrainTimer(
            static self => self.SaveDirtyAsync(),
            this,
            new GrainTimerCreationOptions(interval - elapsed, Timeout.InfiniteTimeSpan) { Interleave = false, KeepAlive = true });
    }

    private async Task SaveDirtyAsync()
    {
        _saveTimer?.Dispose();
        _saveTimer = null;
        if (_dirty)
        {
            await SaveAsync(force: true);
        }
    }

    private static void Forget(Task task) => _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    [LoggerMessage(1, LogLevel.Debug, "Subscriber could not reach partition {Partition}; the timer tries again")]
    private static partial void LogPartitionUnreachable(ILogger logger, string partition, Exception exception);

    [LoggerMessage(2, LogLevel.Warning, "Subscriber skipped ids {From}..{FirstId} of partition {Partition}: they were removed by retention")]
    private static partial void LogSkippedTrimmed(ILogger logger, string partition, long from, long firstId);
}
