using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Streams;
using OrleansAof.Storage;
using Engine = OrleansAof.Storage;

namespace OrleansAof.Server;

/// <summary>
/// Tail delivery of one partition activation, owned by its <see cref="PartitionGrain"/>: after each flush that advances
/// the durable id, one coalesced <see cref="TailAdvanced"/> is pushed to the registered listeners (with the records inline
/// when they are few) and, paced by <see cref="AppendLogOptions.StreamNotificationInterval"/>, published on the tail
/// stream. Both loops run on the grain's scheduler until the activation's stopping token is cancelled; a slow or dead
/// listener never holds appends up (pushes are one-way calls).
/// </summary>
internal sealed partial class PartitionTailDelivery
{
    private const int InlineTailRecords = 1024;

    private readonly AppendLogOptions _options;
    private readonly ITailNotificationInterceptor _interceptor;
    private readonly ServerInstruments _instruments;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _key;
    private readonly string _logName;
    private readonly string _partition;
    private readonly CancellationToken _stopping;
    private readonly Func<long, int, long, Task<LogRecordBatch>> _read;
    private readonly Func<TailAdvanced, ValueTask> _deliver;
    private readonly Func<TailAdvanced, ValueTask> _publish;
    private readonly HashSet<ITailListener> _listeners = [];
    private ITailListener[] _listenerSnapshot = [];
    private TaskCompletionSource _listenerAdded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _durableAtRegistration = -1;
    private IAsyncStream<TailAdvanced>? _stream;
    private Task? _tailLoop;
    private Task? _streamLoop;

    /// <param name="options">The silo's options.</param>
    /// <param name="interceptor">The path every notification takes out of the partition.</param>
    /// <param name="instruments">Counts notifications.</param>
    /// <param name="time">The clock that paces stream notifications.</param>
    /// <param name="logger">The partition grain's logger.</param>
    /// <param name="key">The partition's key <c>{log}/{partition}</c>.</param>
    /// <param name="read">
    /// The grain's durable read (<c>fromId, maxRecords, maxBytes</c>), used for the records carried inline: listeners that
    /// still pull after the push hit the grain's shared read of the same records.
    /// </param>
    /// <param name="stopping">Cancelled when the activation stops; ends both loops.</param>
    public PartitionTailDelivery(
        AppendLogOptions options,
        ITailNotificationInterceptor interceptor,
        ServerInstruments instruments,
        TimeProvider time,
        ILogger logger,
        string key,
        Func<long, int, long, Task<LogRecordBatch>> read,
        CancellationToken stopping)
    {
        _options = options;
        _interceptor = interceptor;
        _instruments = instruments;
        _time = time;
        _logger = logger;
        _key = key;
        (_logName, _partition) = PartitionKey.Parse(key);
        _stopping = stopping;
        _read = read;
        _deliver = PushToListeners;
        _publish = PublishToStreamAsync;
    }

    /// <summary>
    /// Adds <paramref name="listener"/> to the direct pushes when direct push is on and the listener bound
    /// (<see cref="AppendLogOptions.MaxTailListeners"/>) allows; a listener already registered stays.
    /// <paramref name="durableId"/> is the durable id the listener was told at registration: pushes cover every advance
    /// after it.
    /// </summary>
    public void Register(ITailListener listener, long durableId)
    {
        if (_options.DirectTailPush && (_listeners.Contains(listener) || _listeners.Count < _options.MaxTailListeners) && _listeners.Add(listener))
        {
            _listenerSnapshot = [.. _listeners];
            _durableAtRegistration = Math.Max(_durableAtRegistration, durableId);
            _listenerAdded.TrySetResult();
        }
    }

    /// <summary>Removes <paramref name="listener"/> from the direct pushes.</summary>
    public void Unregister(ITailListener listener)
    {
        if (_listeners.Remove(listener))
        {
            _listenerSnapshot = [.. _listeners];
        }
    }

    /// <summary>Starts the loops for the open <paramref name="log"/>: the direct push, and the stream when there is one.</summary>
    public void Start(PartitionLog log, IAsyncStream<TailAdvanced>? stream)
    {
        _stream = stream;
        _tailLoop = RunTailLoopAsync(log);
        if (stream is not null)
        {
            _streamLoop = RunStreamLoopAsync(log, stream);
        }
    }

    /// <summary>Waits for the loops to end (the activation cancelled its stopping token first).</summary>
    public async Task StopAsync()
    {
        if (_tailLoop is { } loop)
        {
            await loop;
        }

        if (_streamLoop is { } streamLoop)
        {
            await streamLoop;
        }
    }

    /// <summary>
    /// Pushes one notification to the direct listeners each time the durable id advances; runs on the grain's scheduler
    /// until deactivation. While no listener is registered it waits for one instead of waking on every flush, and then
    /// pushes from the durable id the first listener was told at registration.
    /// </summary>
    private async Task RunTailLoopAsync(PartitionLog log)
    {
        // Runs as long as the activation: each delivery is a trace of its own, not a child of whatever activated the grain.
        Activity.Current = null;
        var known = log.DurableId;
        var token = _stopping;
        while (!token.IsCancellationRequested)
        {
            long durable;
            try
            {
                if (_listenerSnapshot.Length == 0)
                {
                    // Register runs on this scheduler too, so no listener can arrive between the check and the reset.
                    _listenerAdded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    await _listenerAdded.Task.WaitAsync(token);
                    known = Math.Max(known, _durableAtRegistration);
                }

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
            var batch = await _read(fromId, InlineTailRecords, _options.InlineTailBytes);
            return batch.Count > 0 && batch.Buffer.Length <= _options.InlineTailBytes ? batch : null;
        }
        catch (Engine.AppendLogException)
        {
            return null;
        }
    }

    /// <summary>Publishes the newest durable id on the tail stream, at most once per <see cref="AppendLogOptions.StreamNotificationInterval"/>.</summary>
    private async Task RunStreamLoopAsync(PartitionLog log, IAsyncStream<TailAdvanced> stream)
    {
        Activity.Current = null;
        var published = log.DurableId;
        var token = _stopping;
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

    [LoggerMessage(5, LogLevel.Warning, "Partition {Partition} failed to publish a tail notification")]
    private static partial void LogPublishFailed(ILogger logger, string partition, Exception exception);
}
