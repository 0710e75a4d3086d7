using System.Globalization;

namespace OrleansAof.StressHarness;

/// <summary>
/// Random flushes, seals, flush-policy switches and (in-process) partition deactivations, plus a snapshot of every
/// partition's info every second, each checked against what was acknowledged before it was taken.
/// </summary>
internal sealed class ChaosWorker(StressContext context)
{
    private readonly Random _random = context.RandomFor(3000);
    private readonly WorkerStatus _status = context.Status("chaos");
    private readonly WorkerStatus _infoStatus = context.Status("info");

    public async Task RunAsync()
    {
        var stop = context.StopWorkload.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_random.Next(100, 600), stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var partition = _random.Next(context.Options.Partitions);
            var grain = context.Log.Partition(context.PartitionName(partition));
            var op = _random.Next(100);
            try
            {
                if (op < 35)
                {
                    _status.Set($"flushing partition {partition}");
                    var acknowledged = context.Ledgers[partition].MaxAcknowledged;
                    var durable = await grain.FlushAsync();
                    Interlocked.Increment(ref context.Counters.Flushes);
                    if (durable < acknowledged)
                    {
                        context.Violation($"chaos: a flush of partition {partition} returned durable id {durable}, below id {acknowledged} acknowledged before it");
                    }
                }
                else if (op < 60)
                {
                    _status.Set($"sealing partition {partition}");
                    await grain.SealAsync();
                    Interlocked.Increment(ref context.Counters.Seals);
                }
                else if (op < 92)
                {
                    var policy = RandomPolicy();
                    _status.Set($"switching partition {partition} to {policy.Kind}");
                    await grain.SetFlushPolicyAsync(policy);
                    Interlocked.Increment(ref context.Counters.PolicySwitches);
                }
                else if (context.Target.CanKill)
                {
                    _status.Set($"deactivating partition {partition}");
                    if (await context.Target.DeactivateAsync(grain))
                    {
                        Interlocked.Increment(ref context.Counters.Deactivations);
                    }
                }
            }
            catch (Exception e) when (ProducerWorker.IsRetryable(e) || e is InvalidOperationException)
            {
                context.Error("chaos", e);
            }
            catch (Exception e)
            {
                context.Violation($"chaos: an operation on partition {partition} failed with {StressContext.Kind(e)}: {context.Detail(e)}");
            }
        }

        // Leave every partition on Sync so that the final checks see everything durable.
        _status.Set("restoring Sync on every partition");
        await ForEachPartitionAsync(async (p, grain) =>
        {
            await grain.SetFlushPolicyAsync(LogFlushPolicy.Sync);
            await grain.FlushAsync();
        });
        _status.Set("done");
    }

    /// <summary>Takes an info snapshot of every partition every second until the workload stops.</summary>
    public async Task PollInfoAsync()
    {
        var stop = context.StopWorkload.Token;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                for (var p = 0; p < context.Options.Partitions; p++)
                {
                    _infoStatus.Set(string.Create(CultureInfo.InvariantCulture, $"info of partition {p}"));
                    await SnapshotAsync(p, "info");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        _infoStatus.Set("done");
    }

    /// <summary>Takes and checks one snapshot; false when the partition could not be reached.</summary>
    public async Task<bool> SnapshotAsync(int partition, string who)
    {
        var acknowledged = context.Ledgers[partition].MaxAcknowledged;
        try
        {
            var info = await context.Log.GetInfoAsync(context.PartitionName(partition));
            Interlocked.Increment(ref context.Counters.InfoSnapshots);
            context.CheckInfo(partition, info, acknowledged, who);
            context.SetInfo(partition, info);
            return true;
        }
        catch (Exception e) when (ProducerWorker.IsRetryable(e))
        {
            context.Error(who, e);
            return false;
        }
    }

    /// <summary>Runs <paramref name="action"/> on every partition, retrying each until it succeeds or the stall timeout passes.</summary>
    public async Task ForEachPartitionAsync(Func<int, IPartitionGrain, Task> action)
    {
        for (var p = 0; p < context.Options.Partitions; p++)
        {
            var grain = context.Log.Partition(context.PartitionName(p));
            var deadline = DateTime.UtcNow + context.Options.StallTimeout;
            while (true)
            {
                try
                {
                    await action(p, grain);
                    break;
                }
                catch (Exception e) when (ProducerWorker.IsRetryable(e) && DateTime.UtcNow < deadline && !context.Abort.IsCancellationRequested)
                {
                    context.Error("final", e);
                    await Task.Delay(200);
                }
            }
        }
    }

    private LogFlushPolicy RandomPolicy() => _random.Next(10) switch
    {
        < 4 => LogFlushPolicy.Sync,
        < 6 => LogFlushPolicy.Batched(_random.Next(1, 200)),
        < 8 => LogFlushPolicy.Periodic(TimeSpan.FromMilliseconds(_random.Next(2, 50))),
        < 9 => LogFlushPolicy.BatchedOrPeriodic(_random.Next(1, 200), TimeSpan.FromMilliseconds(_random.Next(2, 50))),
        _ => LogFlushPolicy.Async,
    };
}
