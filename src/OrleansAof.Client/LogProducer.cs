using System.Collections.Concurrent;
using System.Threading.Channels;

namespace OrleansAof.Client;

/// <summary>
/// Batches records per partition like a Kafka producer: a batch leaves when <see cref="LogProducerOptions.Linger"/> has
/// passed since its first record, or when it reaches <see cref="LogProducerOptions.MaxBatchBytes"/> or
/// <see cref="LogProducerOptions.MaxBatchRecords"/>. One batch per partition is in flight at a time, so records of a
/// partition keep the order they were sent in. Every batch carries a <see cref="ProducerStamp"/>: retries after
/// retryable errors (an unavailable partition, backpressure, a lost connection, a timed-out call whose outcome is unknown)
/// are idempotent.
/// </summary>
public sealed class LogProducer : IAsyncDisposable
{
    private readonly AppendLogHandle _log;
    private readonly LogProducerOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, PartitionSender> _senders = new(StringComparer.Ordinal);
    private volatile bool _disposed;

    internal LogProducer(AppendLogHandle log, LogProducerOptions options, TimeProvider time)
    {
        if (options.MaxBatchBytes < 1 || options.MaxBatchRecords < 1 || options.MaxQueuedRecords < 1 || options.Linger < TimeSpan.Zero || options.MaxRecordBytes < 0)
        {
            throw new InvalidLogOptionsException(nameof(LogProducerOptions), "LogProducerOptions.MaxBatchBytes, MaxBatchRecords and MaxQueuedRecords must be positive, and Linger and MaxRecordBytes must not be negative.");
        }

        if (options.ProducerId is <= 0)
        {
            throw new InvalidLogOptionsException("LogProducerOptions.ProducerId", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"LogProducerOptions.ProducerId {options.ProducerId} is not valid: a producer id is positive."));
        }

        _log = log;
        _options = options;
        _time = time;
        ProducerId = options.ProducerId ?? Random.Shared.NextInt64(1, long.MaxValue);
    }

    /// <summary>The producer id of this producer's stamps.</summary>
    public long ProducerId { get; }

    /// <summary>Queues a record for the partition of <paramref name="key"/>; completes when its batch is acknowledged.</summary>
    /// <exception cref="RecordTooLargeException">The record is larger than <see cref="LogProducerOptions.MaxRecordBytes"/> (the returned task fails; no other record is affected).</exception>
    public Task<ProducedRecord> SendAsync(string key, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        SendToPartitionAsync(_log.PartitionFor(key), payload, cancellationToken);

    /// <summary>Queues a record for <paramref name="partition"/>; completes when its batch is acknowledged.</summary>
    /// <exception cref="RecordTooLargeException">The record is larger than <see cref="LogProducerOptions.MaxRecordBytes"/> (the returned task fails; no other record is affected).</exception>
    public Task<ProducedRecord> SendToPartitionAsync(string partition, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (_disposed)
        {
            return Task.FromException<ProducedRecord>(new ObjectDisposedException(nameof(LogProducer)));
        }

        if (payload.Length > _options.MaxRecordBytes)
        {
            return Task.FromException<ProducedRecord>(new RecordTooLargeException(payload.Length, _options.MaxRecordBytes, string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"A record of {payload.Length} bytes exceeds LogProducerOptions.MaxRecordBytes ({_options.MaxRecordBytes}); it was not sent, and the records sent with it are not affected.")));
        }

        var sender = _senders.GetOrAdd(partition, static (p, self) => new PartitionSender(self, p), this);
        var pending = new Pending(payload, new TaskCompletionSource<ProducedRecord>(TaskCreationOptions.RunContinuationsAsynchronously));

        // While the queue has room (the common case) the caller gets the record's own task: no async state machine and
        // no extra continuation per record.
        return sender.Queue.Writer.TryWrite(pending) ? pending.Done.Task : QueueWhenRoomAsync(sender, pending, cancellationToken);
    }

    private static async Task<ProducedRecord> QueueWhenRoomAsync(PartitionSender sender, Pending pending, CancellationToken cancellationToken)
    {
        await sender.Queue.Writer.WriteAsync(pending, cancellationToken);
        return await pending.Done.Task;
    }

    /// <summary>Sends what is queued and waits until every partition's queue is drained.</summary>
    public async Task FlushAsync()
    {
        foreach (var sender in _senders.Values)
        {
            await sender.DrainedAsync();
        }
    }

    /// <summary>Sends what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var sender in _senders.Values)
        {
            sender.Queue.Writer.TryComplete();
        }

        foreach (var sender in _senders.Values)
        {
            await sender.Loop;
        }
    }

    private readonly record struct Pending(ReadOnlyMemory<byte> Payload, TaskCompletionSource<ProducedRecord> Done);

    private sealed class PartitionSender
    {
        private readonly LogProducer _owner;
        private readonly string _partition;
        private readonly List<Pending> _batch = [];
        private long _sequence = -1;
        private readonly Lock _drainLock = new();
        private long _queued;
        private TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public PartitionSender(LogProducer owner, string partition)
        {
            _owner = owner;
            _partition = partition;
            Queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(owner._options.MaxQueuedRecords) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
            _drained.TrySetResult();
            Loop = Task.Run(RunAsync);
        }

        public Channel<Pending> Queue { get; }

        public Task Loop { get; }

        public Task DrainedAsync()
        {
            lock (_drainLock)
            {
                if (Volatile.Read(ref _queued) == 0 && Queue.Reader.Count == 0)
                {
                    return Task.CompletedTask;
                }

                if (_drained.Task.IsCompleted)
                {
                    _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                return _drained.Task;
            }
        }

        private async Task RunAsync()
        {
            var reader = Queue.Reader;
            var options = _owner._options;
            while (await reader.WaitToReadAsync())
            {
                lock (_drainLock)
                {
                    if (_drained.Task.IsCompleted)
                    {
                        _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }

                _batch.Clear();
                long bytes = 0;
                Fill(reader, ref bytes);
                if (options.Linger > TimeSpan.Zero && !Full(bytes))
                {
                    var deadline = _owner._time.GetTimestamp() + (long)(options.Linger.TotalSeconds * _owner._time.TimestampFrequency);
                    while (!Full(bytes))
                    {
                        var remaining = _owner._time.GetElapsedTime(_owner._time.GetTimestamp(), deadline);
                        if (remaining <= TimeSpan.Zero)
                        {
                            break;
                        }

                        var more = reader.WaitToReadAsync().AsTask();
                        if (await Task.WhenAny(more, Task.Delay(remaining, _owner._time)) != more || !await more)
                        {
                            break;
                        }

                        Fill(reader, ref bytes);
                    }
                }

                await SendAsync(bytes);
                Interlocked.Add(ref _queued, -_batch.Count);
                lock (_drainLock)
                {
                    if (reader.Count == 0 && Volatile.Read(ref _queued) == 0)
                    {
                        _drained.TrySetResult();
                    }
                }
            }
        }

        private bool Full(long bytes) => bytes >= _owner._options.MaxBatchBytes || _batch.Count >= _owner._options.MaxBatchRecords;

        private void Fill(ChannelReader<Pending> reader, ref long bytes)
        {
            while (!Full(bytes) && reader.TryRead(out var item))
            {
                // Counted from the moment it leaves the queue, so FlushAsync also waits for a lingering batch.
                Interlocked.Increment(ref _queued);
                _batch.Add(item);
                bytes += item.Payload.Length;
            }
        }

        /// <summary>
        /// The next batch's sequence number: above the previous one, and at least the current Unix time in microseconds,
        /// so a producer restarted with the same id continues above every number its earlier instance used.
        /// </summary>
        private long NextSequence()
        {
            var now = (_owner._time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / 10;
            _sequence = Math.Max(_sequence + 1, now);
            return _sequence;
        }

        private async Task SendAsync(long bytes)
        {
            try
            {
                await SendBatchAsync(_batch, bytes);
            }
            catch (RecordTooLargeException) when (_batch.Count > 1)
            {
                // Nothing of the batch was written: send its records one by one, so only the oversized ones fail.
                var records = _batch.ToArray();
                foreach (var record in records)
                {
                    try
                    {
                        await SendBatchAsync([record], record.Payload.Length);
                    }
                    catch (Exception e)
                    {
                        record.Done.TrySetException(e);
                    }
                }
            }
            catch (Exception e)
            {
                foreach (var item in _batch)
                {
                    item.Done.TrySetException(e);
                }
            }
        }

        /// <summary>Sends <paramref name="batch"/> under one stamp, retrying retryable errors with that stamp; completes its records or throws.</summary>
        private async Task SendBatchAsync(IReadOnlyList<Pending> batch, long bytes)
        {
            var buffer = new byte[bytes];
            var lengths = new int[batch.Count];
            var offset = 0;
            for (var i = 0; i < batch.Count; i++)
            {
                var payload = batch[i].Payload;
                payload.Span.CopyTo(buffer.AsSpan(offset));
                lengths[i] = payload.Length;
                offset += payload.Length;
            }

            var payloads = new RecordPayloads(buffer, lengths);
            var stamp = new ProducerStamp(_owner.ProducerId, NextSequence());
            var started = _owner._time.GetTimestamp();
            var backoff = _owner._options.RetryBackoff;
            while (true)
            {
                try
                {
                    // A retry after AppendOutcomeUnknownException (a timeout, a silo gone with the call in flight) carries the
                    // same stamp: if the first attempt was written, the partition answers with its original ids.
                    var ack = await _owner._log.AppendBatchAsync(_partition, payloads, expectedLastId: null, stamp);
                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i].Done.TrySetResult(new ProducedRecord(_partition, ack.FirstId + i, ack.IsDurable));
                    }

                    return;
                }
                catch (AppendLogException e) when (e.IsRetryable && _owner._time.GetElapsedTime(started) + backoff < _owner._options.RetryFor)
                {
                    await Task.Delay(e is LogBackpressureException b && b.RetryAfter > backoff ? b.RetryAfter : backoff, _owner._time);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.TicksPerSecond));
                }
            }
        }
    }
}
