namespace OrleansAof.Streams;

/// <summary>
/// Appends the stream records of one partition in the order they are handed in. One append call is in flight at a time;
/// records handed in meanwhile wait and go together in the next call (<see cref="IPartitionGrain.AppendBatchAsync"/>, one
/// group commit, so one fsync under <c>Sync</c>), which keeps their order and lets concurrent <c>OnNextAsync</c> calls share
/// the cost of durability. Each caller's task completes when its own record is acknowledged.
/// </summary>
/// <param name="appendOne">Appends one record (<see cref="IPartitionGrain.AppendAsync"/>).</param>
/// <param name="appendMany">Appends several records as one batch (<see cref="IPartitionGrain.AppendBatchAsync"/>).</param>
internal sealed class PartitionAppender(Func<byte[], Task> appendOne, Func<RecordPayloads, Task> appendMany)
{
    /// <summary>Appends to <paramref name="partition"/>.</summary>
    public PartitionAppender(IPartitionGrain partition)
        : this(p => partition.AppendAsync(p), b => partition.AppendBatchAsync(b))
    {
    }

    /// <summary>Records in one append call, at most.</summary>
    internal const int MaxRecordsPerCall = 512;

    /// <summary>Payload bytes in one append call, at most (a single larger record still goes, alone).</summary>
    internal const int MaxBytesPerCall = 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly Queue<Pending> _pending = new();
    private bool _sending;

    /// <summary>Appends <paramref name="payload"/> after every record handed in before it.</summary>
    public Task AppendAsync(byte[] payload)
    {
        var pending = new Pending(payload);
        lock (_lock)
        {
            _pending.Enqueue(pending);
            if (_sending)
            {
                return pending.Done.Task;
            }

            _sending = true;
        }

        // Off the caller's grain scheduler: the loop serves the records of every producer of this partition.
        _ = Task.Run(SendLoopAsync);
        return pending.Done.Task;
    }

    private async Task SendLoopAsync()
    {
        var batch = new List<Pending>();
        while (true)
        {
            batch.Clear();
            lock (_lock)
            {
                long bytes = 0;
                while (_pending.TryPeek(out var next) && batch.Count < MaxRecordsPerCall
                    && (batch.Count == 0 || bytes + next.Payload.Length <= MaxBytesPerCall))
                {
                    bytes += next.Payload.Length;
                    batch.Add(_pending.Dequeue());
                }

                if (batch.Count == 0)
                {
                    _sending = false;
                    return;
                }
            }

            await SendAsync(batch);
        }
    }

    private async Task SendAsync(List<Pending> batch)
    {
        try
        {
            if (batch.Count == 1)
            {
                await appendOne(batch[0].Payload);
            }
            else
            {
                await appendMany(Join(batch));
            }

            foreach (var p in batch)
            {
                p.Done.TrySetResult();
            }
        }
        catch (Exception e) when (batch.Count > 1 && e is RecordTooLargeException or BatchTooLargeException)
        {
            // Nothing was written: append them one by one, so that only the record at fault fails.
            foreach (var p in batch)
            {
                await SendAsync([p]);
            }
        }
        catch (Exception e)
        {
            foreach (var p in batch)
            {
                p.Done.TrySetException(e);
            }
        }
    }

    private static RecordPayloads Join(List<Pending> batch)
    {
        var total = 0;
        var lengths = new int[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            lengths[i] = batch[i].Payload.Length;
            total += lengths[i];
        }

        var buffer = new byte[total];
        var offset = 0;
        foreach (var p in batch)
        {
            p.Payload.CopyTo(buffer, offset);
            offset += p.Payload.Length;
        }

        return new RecordPayloads(buffer, lengths);
    }

    private sealed class Pending(byte[] payload)
    {
        public byte[] Payload { get; } = payload;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
