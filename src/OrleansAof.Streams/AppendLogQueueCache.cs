using Orleans.Streams;

namespace OrleansAof.Streams;

/// <summary>The queue cache of a partition: a window of records held by <see cref="QueueRecords"/>; anything older is read back from the log.</summary>
internal sealed class AppendLogQueueCache(QueueRecords records, AppendLogStreamOptions options) : IQueueCache
{
    public int GetMaxAddCount() => options.MaxRecordsPerRead;

    public void AddToCache(IList<IBatchContainer> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var message in messages)
        {
            if (message is AppendLogBatchContainer record)
            {
                records.Add(record);
            }
        }
    }

    public bool TryPurgeFromCache(out IList<IBatchContainer> purgedItems)
    {
        var purged = records.Purge(options.CacheRecords);
        purgedItems = purged!;
        return purged is not null;
    }

    public IQueueCacheCursor GetCacheCursor(StreamId streamId, StreamSequenceToken? token)
    {
        long? position = token is null ? records.Newest is { } newest ? newest - 1 : null : token.SequenceNumber - 1;
        var cursor = new AppendLogCursor(records, streamId, position);
        records.Register(cursor);
        return cursor;
    }

    public bool IsUnderPressure() => false;
}
