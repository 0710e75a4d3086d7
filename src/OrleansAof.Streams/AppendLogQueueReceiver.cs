using Microsoft.Extensions.Logging;
using Orleans.Providers.Streams.Common;
using Orleans.Serialization;
using Orleans.Streams;

namespace OrleansAof.Streams;

/// <summary>
/// Reads one partition for its pulling agent: live from the durable checkpoint on, and back from older ids when a
/// subscriber rewinds (local segments and the archive alike, through the partition grain). Writes the checkpoint (the
/// oldest record a subscriber still needs, and never a record read less than <see cref="AppendLogStreamOptions.CheckpointLag"/>
/// ago) at most once per <see cref="AppendLogStreamOptions.CheckpointInterval"/>.
/// </summary>
internal sealed partial class AppendLogQueueReceiver(
    string partitionKey,
    string checkpointKey,
    QueueRecords records,
    AppendLogStreamOptions options,
    IGrainFactory grains,
    Serializer serializer,
    TimeProvider time,
    ILogger logger) : IQueueAdapterReceiver
{
    private readonly IPartitionGrain _partition = grains.GetGrain<IPartitionGrain>(partitionKey);
    private readonly IStreamCheckpointGrain _checkpoint = grains.GetGrain<IStreamCheckpointGrain>(checkpointKey);
    private readonly Queue<(long Timestamp, long NextId)> _reads = new();
    private long _written = -1;
    private long _lastWrite;

    // The live position reached at least CheckpointLag ago: the checkpoint never passes it.
    private long _settled;

    public async Task Initialize(TimeSpan timeout)
    {
        records.LiveNext = _written = _settled = await _checkpoint.GetAsync().WaitAsync(timeout);
        _lastWrite = time.GetTimestamp();
        LogStarted(logger, partitionKey, _written);
    }

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount)
    {
        var max = maxCount <= 0 ? options.MaxRecordsPerRead : Math.Min(maxCount, options.MaxRecordsPerRead);
        await WriteCheckpointAsync(force: false);
        if (records.TryTakeFill(out var fromId, out var untilId))
        {
            return await ReadAsync(fromId, (int)Math.Min(max, untilId - fromId), live: false);
        }

        return await ReadAsync(records.LiveNext, max, live: true);
    }

    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => Task.CompletedTask;

    public Task Shutdown(TimeSpan timeout) => WriteCheckpointAsync(force: true).WaitAsync(timeout);

    private async Task<IList<IBatchContainer>> ReadAsync(long fromId, int max, bool live)
    {
        LogRecordBatch batch;
        try
        {
            batch = await _partition.ReadAsync(fromId, max);
        }
        catch (RecordTrimmedException e)
        {
            Skip(fromId, e.FirstId, live);
            return [];
        }
        catch (RecordsMissingException e)
        {
            Skip(fromId, e.NextId, live);
            return [];
        }
        catch (Exception e) when (e is AppendLogException or OrleansException or TimeoutException)
        {
            if (!live)
            {
                records.RequestFill(fromId);
            }

            LogReadFailed(logger, partitionKey, fromId, e);
            return [];
        }

        var result = new List<IBatchContainer>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var record = batch[i];
            AppendLogStreamMessage? message;
            try
            {
                message = serializer.Deserialize<AppendLogStreamMessage>(record.Payload) ?? throw new InvalidDataException("An empty stream record.");
            }
            catch (Exception e)
            {
                // Not a stream record (something else appended to the log): a gap for the cursors.
                LogNotAStreamRecord(logger, partitionKey, record.Id, e);
                records.AddGap(record.Id, record.Id + 1);
                continue;
            }

            result.Add(new AppendLogBatchContainer(message.StreamId, message.Events, message.RequestContext, new EventSequenceTokenV2(record.Id)));
        }

        if (live)
        {
            Advance(batch.NextId);
        }
        else
        {
            if (batch.Count > 0 && batch.NextId < records.LiveNext)
            {
                // Keep reading back until the hole closes.
                records.RequestFill(batch.NextId);
            }

            // Wake the streams whose cursors wait behind the hole but have no record in it (adding a held record again changes nothing).
            result.AddRange(records.NextHeldPerStream());
        }

        return result;
    }

    private void Skip(long fromId, long nextId, bool live)
    {
        LogSkipped(logger, partitionKey, fromId, nextId - 1);
        records.AddGap(fromId, nextId);
        if (live)
        {
            Advance(nextId);
        }
        else if (nextId < records.LiveNext)
        {
            records.RequestFill(nextId);
        }
    }

    /// <summary>Moves the live position, remembering when, for <see cref="AppendLogStreamOptions.CheckpointLag"/>.</summary>
    private void Advance(long nextId)
    {
        if (nextId > records.LiveNext)
        {
            records.LiveNext = nextId;
            _reads.Enqueue((time.GetTimestamp(), nextId));
        }
    }

    private async Task WriteCheckpointAsync(bool force)
    {
        while (_reads.TryPeek(out var read) && time.GetElapsedTime(read.Timestamp) >= options.CheckpointLag)
        {
            _settled = read.NextId;
            _reads.Dequeue();
        }

        // Never past records read less than CheckpointLag ago: the cursors of a stream new to this agent open only once
        // Orleans has looked up its subscribers, and until then nothing else says they still need its records.
        var next = Math.Min(records.OldestNeeded(), _settled);
        if (next <= _written || (!force && time.GetElapsedTime(_lastWrite) < options.CheckpointInterval))
        {
            return;
        }

        try
        {
            await _checkpoint.SetAsync(next);
            _written = next;
            _lastWrite = time.GetTimestamp();
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            LogCheckpointFailed(logger, partitionKey, e);
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "Stream receiver could not read partition {Partition} from {FromId}; it tries again on the next poll")]
    private static partial void LogReadFailed(ILogger logger, string partition, long fromId, Exception exception);

    [LoggerMessage(2, LogLevel.Warning, "Stream receiver skipped ids {From}..{Through} of partition {Partition}: the log no longer holds them")]
    private static partial void LogSkipped(ILogger logger, string partition, long from, long through);

    [LoggerMessage(3, LogLevel.Warning, "Record {Id} of partition {Partition} is not a stream record; skipped")]
    private static partial void LogNotAStreamRecord(ILogger logger, string partition, long id, Exception exception);

    [LoggerMessage(5, LogLevel.Information, "Stream receiver of partition {Partition} starts reading at id {NextId} (its checkpoint)")]
    private static partial void LogStarted(ILogger logger, string partition, long nextId);

    [LoggerMessage(4, LogLevel.Warning, "Stream receiver could not write the checkpoint of partition {Partition}; it tries again")]
    private static partial void LogCheckpointFailed(ILogger logger, string partition, Exception exception);
}
