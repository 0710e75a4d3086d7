using System.Globalization;

namespace OrleansAof.StressHarness;

/// <summary>
/// A client tail subscriber (<c>AppendLogHandle.TailAsync</c>) that joins a random partition, follows it for a random
/// while, leaves, and later resumes from its checkpoint (or starts somewhere else). Every record must be the next id after
/// the previous one, from its start id, with the exact bytes written. At the end it catches up to the final tail.
/// </summary>
internal sealed class SubscriberWorker(StressContext context, int number)
{
    private readonly Random _random = context.RandomFor(1000 + number);
    private readonly WorkerStatus _status = context.Status($"subscriber {number}");
    private readonly Dictionary<int, long> _checkpoints = [];
    private int _lastPartition = -1;

    public async Task RunAsync()
    {
        var stop = context.StopWorkload.Token;
        while (!stop.IsCancellationRequested)
        {
            var partition = _random.Next(context.Options.Partitions);
            var from = StartFor(partition);
            using var session = CancellationTokenSource.CreateLinkedTokenSource(stop);
            session.CancelAfter(TimeSpan.FromMilliseconds(_random.Next(1000, 15000)));
            await FollowAsync(partition, from, untilId: null, session.Token);
            if (!stop.IsCancellationRequested)
            {
                _status.Set("between sessions");
                try
                {
                    await Task.Delay(_random.Next(0, 2000), stop);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }

    /// <summary>Resumes the last partition followed from its checkpoint and reads up to <paramref name="finalNextIds"/>.</summary>
    public async Task CatchUpAsync(long[] finalNextIds)
    {
        if (_lastPartition < 0)
        {
            _status.Set("done (never joined)");
            return;
        }

        var partition = _lastPartition;
        var from = _checkpoints[partition];

        // A long way behind is fine as long as records keep coming: the limit is re-armed at every record.
        using var stalled = CancellationTokenSource.CreateLinkedTokenSource(context.Abort.Token);
        stalled.CancelAfter(context.Options.StallTimeout);
        var reached = from;
        while (reached < finalNextIds[partition] && !stalled.IsCancellationRequested)
        {
            reached = await FollowAsync(partition, _checkpoints[partition], finalNextIds[partition], stalled.Token, stalled);
        }

        if (reached < finalNextIds[partition] && !context.Abort.IsCancellationRequested)
        {
            context.Violation($"subscriber {number}: catching up on partition {partition} from {from} stopped at id {reached - 1} of {finalNextIds[partition] - 1}: no record for {context.Options.StallTimeout}");
        }

        _status.Set("done");
    }

    private long StartFor(int partition)
    {
        if (_checkpoints.TryGetValue(partition, out var checkpoint) && _random.Next(10) < 6)
        {
            return checkpoint;
        }

        var acknowledged = context.Ledgers[partition].MaxAcknowledged;
        return _random.Next(4) switch
        {
            0 => 0,
            1 => acknowledged < 0 ? 0 : _random.NextInt64(0, acknowledged + 1),
            _ => acknowledged + 1,
        };
    }

    /// <summary>Follows a partition; returns the next id it expected when it left.</summary>
    private async Task<long> FollowAsync(int partition, long from, long? untilId, CancellationToken cancellationToken, CancellationTokenSource? stallTimer = null)
    {
        var name = context.PartitionName(partition);
        Interlocked.Increment(ref context.Counters.SubscriberJoins);
        _lastPartition = partition;
        _checkpoints[partition] = from;
        var expected = from;
        _status.Set(string.Create(CultureInfo.InvariantCulture, $"tailing partition {partition} from {from}"));
        if (untilId is { } until && expected >= until)
        {
            Interlocked.Increment(ref context.Counters.SubscriberLeaves);
            return expected;
        }

        try
        {
            await foreach (var record in context.Log.TailAsync(name, from, cancellationToken))
            {
                if (record.Id != expected)
                {
                    context.Violation($"subscriber {number}: partition {partition} delivered id {record.Id} where id {expected} was next (started at {from})");
                }

                context.CheckRecord(partition, record, $"subscriber {number}", out _);
                expected = record.Id + 1;
                _checkpoints[partition] = expected;
                Interlocked.Increment(ref context.Counters.SubscriberRecords);
                stallTimer?.CancelAfter(context.Options.StallTimeout);
                if ((expected & 1023) == 0)
                {
                    _status.Set(string.Create(CultureInfo.InvariantCulture, $"tailing partition {partition} from {from}, at {expected}"));
                }

                if (untilId is { } last && expected >= last)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (ProducerWorker.IsRetryable(e))
        {
            // The tail gave up (a timeout while a silo was down); the subscriber resumes from its checkpoint later.
            Interlocked.Increment(ref context.Counters.TailErrors);
            context.Error("tail", e);
        }
        catch (Exception e)
        {
            context.Violation($"subscriber {number}: the tail of partition {partition} failed with {StressContext.Kind(e)}: {context.Detail(e)}");
            await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
        }

        Interlocked.Increment(ref context.Counters.SubscriberLeaves);
        return expected;
    }
}
