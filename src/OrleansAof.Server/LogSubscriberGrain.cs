using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace OrleansAof.Server;

/// <summary>
/// Base class of grains that follow partitions: notify, then pull. Exactly once: the effect of each record on
/// <see cref="Model"/> is kept once, in order; the checkpoint, the model and the outbox are one state, written together,
/// so a lost, duplicated or reordered notification only costs latency, and a handler that fails or a silo that stops
/// mid-batch leaves the model as it was before the batch.
/// </summary>
/// <remarks>
/// <para><b>Implicit subscription</b>: put <c>[ImplicitStreamSubscription(AppendLogStreams.TailNamespace)]</c> on the
/// derived class; each partition then gets its own subscriber activation keyed like the partition (<c>{log}/{partition}</c>),
/// started by the first notification. <b>Explicit subscription</b>: call <see cref="ILogSubscriber.SubscribeAsync"/> on a
/// subscriber with any key; it follows every partition it subscribed to.</para>
/// <para>Notifications arrive pushed straight from the partition (the low-latency path) and on the tail stream (which
/// also wakes an inactive subscriber). A timer re-checks every partition (<see cref="LogSubscriberOptions.RecheckInterval"/>)
/// as the safety net. Appends never wait for subscribers.</para>
/// <para><b>Failures</b>: when <see cref="OnRecordsAsync"/> throws, the state (model, checkpoints, outbox) is read back from
/// storage, which undoes whatever the handler changed since the last write, and the records after the written checkpoint
/// are handed over again on the next notification or tick. A handler must therefore change nothing but <see cref="Model"/>
/// (and <see cref="Emit"/>); any other side effect goes through the outbox. A record that always fails stops its
/// partition's progress (logged at each attempt) until the handler is fixed.</para>
/// <para><b>Side effects</b>: <see cref="Emit"/> puts an effect in the outbox, which is written with the model and the
/// checkpoint; once written, <see cref="DeliverEffectAsync"/> delivers each effect in order, retried on every tick until it
/// succeeds. Delivery is at least once (a stop between delivering and writing that it was delivered repeats it), each
/// effect carrying the stable key <see cref="LogEffect.Key"/> the receiver de-duplicates on.</para>
/// <para><b>Gaps</b>: ids removed by retention or lost with a volume (<c>Missing</c> in <c>aof status</c>) are skipped:
/// <see cref="OnRecordsSkippedAsync"/> is told, and the checkpoint moves past them.</para>
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
    private bool _broken;
    private string? _effectRecord;
    private int _effectIndex;

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
    /// <remarks>Change only <see cref="Model"/> and call <see cref="Emit"/>: when this throws, both are rolled back to the last written state and the records are handed over again.</remarks>
    protected abstract Task OnRecordsAsync(string log, string partition, LogRecordBatch batch);

    /// <summary>
    /// Called when ids <paramref name="fromId"/> up to <paramref name="nextId"/> (exclusive) of a partition cannot be read
    /// and the checkpoint moves to <paramref name="nextId"/>. The default logs a warning. It may change <see cref="Model"/>
    /// (for example to mark the gap); the change is written with the new checkpoint.
    /// </summary>
    protected virtual Task OnRecordsSkippedAsync(string log, string partition, long fromId, long nextId, SkippedRecordsReason reason)
    {
        LogSkipped(_logger, PartitionKey.Format(log, partition), fromId, nextId - 1, reason);
        return Task.CompletedTask;
    }

    /// <summary>
    /// From <see cref="OnRecordsAsync"/>: adds a side effect of record <paramref name="recordId"/> to the outbox. It is
    /// kept only if the batch succeeds, written with the model and checkpoint, then delivered by
    /// <see cref="DeliverEffectAsync"/>. The effects of one record are numbered in the order they are emitted.
    /// </summary>
    /// <param name="log">The log of the record (the handler's <c>log</c>).</param>
    /// <param name="partition">The partition of the record (the handler's <c>partition</c>).</param>
    /// <param name="recordId">The id of the record that causes the effect.</param>
    /// <param name="payload">What to deliver; a type the Orleans serializer can write.</param>
    /// <returns>The effect, whose <see cref="LogEffect.Key"/> identifies it.</returns>
    protected LogEffect Emit(string log, string partition, long recordId, object payload)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(payload);
        var record = string.Create(CultureInfo.InvariantCulture, $"{log}/{partition}#{recordId}");
        _effectIndex = record == _effectRecord ? _effectIndex + 1 : 0;
        _effectRecord = record;
        var effect = new LogEffect { Log = log, Partition = partition, RecordId = recordId, Index = _effectIndex, Payload = payload };
        _state.State.Outbox.Add(effect);
        return effect;
    }

    /// <summary>
    /// Delivers one effect of the outbox (override it when the subscriber calls <see cref="Emit"/>). Throw to have it
    /// retried on the next tick; later effects wait for it. The receiver de-duplicates on <see cref="LogEffect.Key"/>.
    /// </summary>
    protected virtual Task DeliverEffectAsync(LogEffect effect) =>
        throw new NotSupportedException($"{GetType().Name} emits effects but does not override {nameof(DeliverEffectAsync)}.");

    /// <summary>The effects written and not yet delivered, oldest first.</summary>
    protected IReadOnlyList<LogEffect> PendingEffects => _state.State.Outbox;

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
        if (_dirty && !_broken)
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
        if (_broken || !_state.State.Checkpoints.TryGetValue(key, out var next))
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
            if (!await ApplyAsync(key, log, partition, records))
            {
                return;
            }

            next = records.NextId;
        }

        if (notification.LastDurableId >= next)
        {
            await CatchUpAsync(key, notification.LastDurableId);
        }
    }

    private async Task RecheckAllAsync()
    {
        if (_broken)
        {
            return;
        }

        if (_dirty)
        {
            await SaveAsync(force: true);
        }

        await DrainOutboxAsync();

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
        while (!_broken && _state.State.Checkpoints.TryGetValue(key, out var next))
        {
            LogRecordBatch batch;
            try
            {
                batch = await grain.ReadAsync(next, _options.MaxRecordsPerRead, _options.MaxBytesPerRead);
            }
            catch (RecordTrimmedException e)
            {
                if (!await SkipAsync(key, log, partition, next, e.FirstId, SkippedRecordsReason.Trimmed))
                {
                    return;
                }

                continue;
            }
            catch (RecordsMissingException e)
            {
                if (!await SkipAsync(key, log, partition, next, e.NextId, SkippedRecordsReason.Missing))
                {
                    return;
                }

                continue;
            }
            catch (Exception e) when (e is AppendLogException or OrleansException or TimeoutException)
            {
                LogPartitionUnreachable(_logger, key, e);
                return;
            }

            if (batch.Count == 0 || !await ApplyAsync(key, log, partition, batch) || batch.NextId > durableHint)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Hands <paramref name="batch"/> to the handler and moves the checkpoint past it. When the handler throws, the state
    /// is read back from storage (undoing the handler's changes) and false is returned.
    /// </summary>
    private async Task<bool> ApplyAsync(string key, string log, string partition, LogRecordBatch batch)
    {
        var effects = _state.State.Outbox.Count;
        try
        {
            await OnRecordsAsync(log, partition, batch);
        }
        catch (Exception e)
        {
            LogHandlerFailed(_logger, key, batch.Entries[0].Id, batch.NextId - 1, e);
            await RollBackAsync();
            return false;
        }

        _state.State.Checkpoints[key] = batch.NextId;

        // New effects are written before they are delivered: an effect is never delivered for a batch that is not kept.
        var emitted = _state.State.Outbox.Count > effects;
        await SaveAsync(force: emitted);
        if (emitted)
        {
            await DrainOutboxAsync();
        }

        return true;
    }

    private async Task<bool> SkipAsync(string key, string log, string partition, long fromId, long nextId, SkippedRecordsReason reason)
    {
        try
        {
            await OnRecordsSkippedAsync(log, partition, fromId, nextId, reason);
        }
        catch (Exception e)
        {
            LogHandlerFailed(_logger, key, fromId, nextId - 1, e);
            await RollBackAsync();
            return false;
        }

        _state.State.Checkpoints[key] = nextId;
        await SaveAsync(force: true);
        return true;
    }

    /// <summary>Reads the last written state back. If that fails too, the activation stops without writing anything.</summary>
    private async Task RollBackAsync()
    {
        _effectRecord = null;
        _dirty = false;
        try
        {
            await _state.ReadStateAsync();
        }
        catch (Exception e)
        {
            LogRollBackFailed(_logger, this.GetPrimaryKeyString(), e);
            _broken = true;
            this.DeactivateOnIdle();
        }
    }

    /// <summary>Delivers the outbox in order until it is empty or a delivery fails (retried on the next tick), then writes what was delivered.</summary>
    private async Task DrainOutboxAsync()
    {
        var outbox = _state.State.Outbox;
        if (outbox.Count == 0 || _broken)
        {
            return;
        }

        if (_dirty)
        {
            // Only written effects are delivered.
            await SaveAsync(force: true);
        }

        var delivered = 0;
        while (delivered < outbox.Count)
        {
            var effect = outbox[delivered];
            try
            {
                await DeliverEffectAsync(effect);
            }
            catch (Exception e)
            {
                effect.Attempts++;
                LogEffectFailed(_logger, effect.Key, effect.Attempts, e);
                break;
            }

            delivered++;
        }

        if (delivered > 0)
        {
            outbox.RemoveRange(0, delivered);
            await SaveAsync(force: true);
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

    [LoggerMessage(2, LogLevel.Warning, "Subscriber skipped ids {From}..{Through} of partition {Partition}: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string partition, long from, long through, SkippedRecordsReason reason);

    [LoggerMessage(3, LogLevel.Warning, "Subscriber handler failed on ids {From}..{Through} of partition {Partition}; the state is rolled back to its last write and the records are handed over again")]
    private static partial void LogHandlerFailed(ILogger logger, string partition, long from, long through, Exception exception);

    [LoggerMessage(4, LogLevel.Error, "Subscriber {Subscriber} could not read its state back after a handler failure; the activation stops without writing")]
    private static partial void LogRollBackFailed(ILogger logger, string subscriber, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "Subscriber could not deliver effect {Effect} (attempt {Attempts}); it is retried on the next tick")]
    private static partial void LogEffectFailed(ILogger logger, string effect, int attempts, Exception exception);
}
