using Orleans.Streams;

namespace OrleansAof.Streams;

/// <summary>A cursor of one stream over the records of its queue: it visits every record id in order after its position.</summary>
internal sealed class AppendLogCursor(QueueRecords records, StreamId streamId, long? position) : IQueueCacheCursor
{
    private AppendLogBatchContainer? _current;

    public StreamId StreamId => streamId;

    /// <summary>The last record id this cursor has passed (null until its start is known).</summary>
    public long? Position { get; private set; } = position;

    public IBatchContainer GetCurrent(out Exception exception)
    {
        exception = null!;
        return _current!;
    }

    public bool MoveNext()
    {
        if (Position is not { } position)
        {
            return false;
        }

        var next = position + 1;
        while (true)
        {
            next = records.SkipGap(next);
            if (!records.TryGet(next, out var record))
            {
                if (next < records.LiveNext)
                {
                    // Older than what is held: the receiver reads it back from the log, then wakes this stream.
                    records.RequestFill(next);
                }

                Position = next - 1;
                return false;
            }

            if (record!.StreamId.Equals(streamId))
            {
                _current = record;
                Position = next;
                return true;
            }

            next++;
        }
    }

    public void Refresh(StreamSequenceToken token)
    {
        if (Position is null && token is not null)
        {
            Position = token.SequenceNumber - 1;
        }
    }

    public void RecordDeliveryFailure()
    {
    }

    public void Dispose() => records.Unregister(this);
}
