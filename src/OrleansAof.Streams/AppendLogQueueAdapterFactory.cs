using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Streams;

namespace OrleansAof.Streams;

/// <summary>
/// The queue adapter factory of <c>AddAppendLogStreams</c>: its queues are partitions <c>0..N-1</c> of a log, a stream maps to
/// one partition through Orleans' hash ring of queues, and each produced batch of events is one record (Orleans serializer).
/// </summary>
public sealed class AppendLogQueueAdapterFactory : IQueueAdapterFactory, IQueueAdapter, IQueueAdapterCache
{
    private readonly AppendLogStreamOptions _options;
    private readonly IGrainFactory _grains;
    private readonly Serializer _serializer;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly HashRingBasedStreamQueueMapper _mapper;
    private readonly string _log;
    private readonly ConcurrentDictionary<QueueId, QueueRecords> _records = new();
    private readonly ConcurrentDictionary<QueueId, PartitionAppender> _appenders = new();
    private readonly Task<IStreamFailureHandler> _failureHandler = Task.FromResult<IStreamFailureHandler>(new NoOpStreamDeliveryFailureHandler(false));

    /// <summary>Creates the factory of provider <paramref name="name"/>.</summary>
    public AppendLogQueueAdapterFactory(string name, AppendLogStreamOptions options, IGrainFactory grains, Serializer serializer, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        Name = name;
        _options = options;
        _grains = grains;
        _serializer = serializer;
        _time = time;
        _loggers = loggers;
        _log = string.IsNullOrEmpty(options.Log) ? name : options.Log;
        // Queue i is partition i; Orleans' hash ring maps streams to queues (the same in clients and silos).
        _mapper = new HashRingBasedStreamQueueMapper(new HashRingStreamQueueMapperOptions { TotalQueueCount = options.Partitions }, _log);
    }

    /// <summary>Creates the factory from the named options (used by the hosting extensions).</summary>
    public static AppendLogQueueAdapterFactory Create(IServiceProvider services, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.GetRequiredService<IOptionsMonitor<AppendLogStreamOptions>>().Get(name);
        AppendLogStreamOptionsValidator.Validate(name, options);
        return new AppendLogQueueAdapterFactory(
            name,
            options,
            services.GetRequiredService<IGrainFactory>(),
            services.GetRequiredService<Serializer>(),
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetRequiredService<ILoggerFactory>());
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool IsRewindable => true;

    /// <inheritdoc />
    public StreamProviderDirection Direction => StreamProviderDirection.ReadWrite;

    /// <summary>The partition a stream's events are appended to.</summary>
    public string PartitionOf(StreamId streamId) => _mapper.GetQueueForStream(streamId).GetNumericId().ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public Task<IQueueAdapter> CreateAdapter() => Task.FromResult<IQueueAdapter>(this);

    /// <inheritdoc />
    public IQueueAdapterCache GetQueueAdapterCache() => this;

    /// <inheritdoc />
    public IStreamQueueMapper GetStreamQueueMapper() => _mapper;

    /// <inheritdoc />
    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) => _failureHandler;

    /// <inheritdoc />
    /// <remarks>
    /// The batch becomes one record of the stream's partition. Batches handed in while an append to that partition is in
    /// flight go together in the next append call (one group commit), in the order they were handed in.
    /// </remarks>
    public Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        ArgumentNullException.ThrowIfNull(events);
        var message = new AppendLogStreamMessage { StreamId = streamId, RequestContext = requestContext is { Count: > 0 } ? requestContext : null };
        foreach (var e in events)
        {
            message.Events.Add(e!);
        }

        var payload = _serializer.SerializeToArray(message);
        var queue = _mapper.GetQueueForStream(streamId);
        var appender = _appenders.GetOrAdd(queue, static (q, self) => new PartitionAppender(
            self._grains.GetGrain<IPartitionGrain>(PartitionKey.Format(self._log, q.GetNumericId().ToString(CultureInfo.InvariantCulture)))), this);
        return appender.AppendAsync(payload);
    }

    /// <inheritdoc />
    public IQueueAdapterReceiver CreateReceiver(QueueId queueId)
    {
        var partition = queueId.GetNumericId().ToString(CultureInfo.InvariantCulture);
        return new AppendLogQueueReceiver(
            PartitionKey.Format(_log, partition),
            $"{Name}/{_log}/{partition}",
            RecordsOf(queueId),
            _options,
            _grains,
            _serializer,
            _time,
            _loggers.CreateLogger<AppendLogQueueReceiver>());
    }

    /// <inheritdoc />
    public IQueueCache CreateQueueCache(QueueId queueId) => new AppendLogQueueCache(RecordsOf(queueId), _options);

    private QueueRecords RecordsOf(QueueId queueId) => _records.GetOrAdd(queueId, static _ => new QueueRecords());
}
