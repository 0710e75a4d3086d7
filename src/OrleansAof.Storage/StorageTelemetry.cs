using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace OrleansAof.Storage;

/// <summary>
/// The engine's spans, on the <see cref="ActivitySource"/> named <see cref="ActivitySourceName"/> (the same name the
/// server and the client use). Every helper returns at once with nothing allocated when no listener samples the source.
/// docs/observability.md lists the spans and their attributes.
/// </summary>
public static class StorageTelemetry
{
    /// <summary>The name of the activity source of the whole product (engine, grains and client).</summary>
    public const string ActivitySourceName = "OrleansAof";

    /// <summary>Span of an engine append (written, and under <c>Sync</c> acknowledged durable).</summary>
    public const string AppendSpan = "aof.engine.append";

    /// <summary>Span of one flush (checkpoint and fsync) of the flush loop; a root span.</summary>
    public const string FlushSpan = "aof.engine.flush";

    /// <summary>Span of a seal (explicit or at roll-over).</summary>
    public const string SealSpan = "aof.engine.seal";

    /// <summary>Span of opening a partition: recovery of its segment files.</summary>
    public const string RecoverySpan = "aof.engine.recover";

    /// <summary>Span of storing a sealed segment in the archive.</summary>
    public const string ArchiveUploadSpan = "aof.archive.upload";

    /// <summary>Span of fetching a whole archived segment.</summary>
    public const string ArchiveDownloadSpan = "aof.archive.download";

    internal static readonly ActivitySource Source = new(ActivitySourceName, "1.0");

    internal static Activity? StartAppend(string log, string partition, int records)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(AppendSpan, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(AofTags.Log, log);
            activity.SetTag(AofTags.Partition, partition);
            activity.SetTag(AofTags.Records, records);
        }

        return activity;
    }

    /// <summary>
    /// Ends <paramref name="activity"/> when <paramref name="append"/> completes. The caller's <see cref="Activity.Current"/>
    /// is restored at once, so a synchronous completion does not leave the span current in the caller.
    /// </summary>
    internal static ValueTask<AppendResult> EndAppend(Activity? activity, ValueTask<AppendResult> append)
    {
        if (activity is null)
        {
            return append;
        }

        if (append.IsCompleted)
        {
            try
            {
                var result = append.GetAwaiter().GetResult();
                Complete(activity, result);
                return new ValueTask<AppendResult>(result);
            }
            catch (Exception e)
            {
                Fail(activity, e);
                return ValueTask.FromException<AppendResult>(e);
            }
        }

        var pending = AwaitAppendAsync(activity, append);
        Activity.Current = activity.Parent;
        return pending;
    }

    internal static Activity? StartFlush(string log, string partition, FlushTrigger trigger)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        // The flush loop outlives whatever opened the partition: each flush is a trace of its own.
        Activity.Current = null;
        var activity = Source.StartActivity(FlushSpan, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(AofTags.Log, log);
            activity.SetTag(AofTags.Partition, partition);
            activity.SetTag(AofTags.Trigger, trigger.ToString().ToLowerInvariant());
        }

        return activity;
    }

    /// <summary>Tags the current flush span (if it is one) with what the flush made durable.</summary>
    internal static void FlushRecorded(bool succeeded, long records, long bytes)
    {
        if (Activity.Current is { OperationName: FlushSpan, IsAllDataRequested: true } activity)
        {
            activity.SetTag(AofTags.Records, records);
            activity.SetTag(AofTags.Bytes, bytes);
            if (!succeeded)
            {
                activity.SetStatus(ActivityStatusCode.Error, "flush failed");
            }
        }
    }

    internal static Activity? StartSeal(string log, string partition, long baseId, long lastId, long epoch)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(SealSpan, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(AofTags.Log, log);
            activity.SetTag(AofTags.Partition, partition);
            activity.SetTag(AofTags.FirstId, baseId);
            activity.SetTag(AofTags.LastId, lastId);
            activity.SetTag(AofTags.Epoch, epoch);
        }

        return activity;
    }

    internal static Activity? StartRecovery(string log, string partition)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(RecoverySpan, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(AofTags.Log, log);
            activity.SetTag(AofTags.Partition, partition);
        }

        return activity;
    }

    /// <summary>Ends the recovery span when the open completes, tagged with the recovered ids and the new epoch.</summary>
    internal static Task<PartitionLog> EndRecovery(Activity? activity, Task<PartitionLog> open)
    {
        if (activity is null)
        {
            return open;
        }

        var pending = AwaitRecoveryAsync(activity, open);
        Activity.Current = activity.Parent;
        return pending;
    }

    internal static Activity? StartArchive(string name, Archive.ArchiveObjectKey key)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(name, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(AofTags.Log, key.Log);
            activity.SetTag(AofTags.Partition, key.Partition);
            activity.SetTag(AofTags.ArchiveObject, key.FileName);
        }

        return activity;
    }

    internal static void Fail(Activity? activity, Exception error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, error.GetType().Name);
        activity.AddException(error);
        activity.Stop();
    }

    private static void Complete(Activity activity, AppendResult result)
    {
        if (activity.IsAllDataRequested)
        {
            activity.SetTag(AofTags.FirstId, result.FirstId);
            activity.SetTag(AofTags.LastId, result.LastId);
            activity.SetTag(AofTags.Durable, result.IsDurable);
            if (result.IsDurable)
            {
                activity.AddEvent(new ActivityEvent("durable"));
            }
        }

        activity.Stop();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<AppendResult> AwaitAppendAsync(Activity activity, ValueTask<AppendResult> append)
    {
        try
        {
            var result = await append.ConfigureAwait(false);
            Complete(activity, result);
            return result;
        }
        catch (Exception e)
        {
            Fail(activity, e);
            throw;
        }
    }

    private static async Task<PartitionLog> AwaitRecoveryAsync(Activity activity, Task<PartitionLog> open)
    {
        try
        {
            var log = await open.ConfigureAwait(false);
            if (activity.IsAllDataRequested)
            {
                activity.SetTag(AofTags.FirstId, log.FirstId);
                activity.SetTag(AofTags.LastId, log.LastId);
                activity.SetTag(AofTags.Epoch, log.WriterEpoch);
                activity.SetTag(AofTags.State, log.State.ToString());
            }

            activity.Stop();
            return log;
        }
        catch (Exception e)
        {
            Fail(activity, e);
            throw;
        }
    }
}
