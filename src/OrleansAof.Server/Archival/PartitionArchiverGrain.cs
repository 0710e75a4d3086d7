using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using OrleansAof.Server.Ownership;

namespace OrleansAof.Server.Archival;

/// <summary>
/// The archiver of one partition: placed on the partition's owner, poked by the partition at every seal (and at
/// activation), and woken by a reminder as a safety net. A run asks the partition to archive what waits; when the run hit
/// its limit it pokes itself to continue. A run that failed (an archive outage, a refused key) is retried by the archiver
/// itself on a grain timer with exponential backoff (<see cref="AppendLogOptions.ArchiveRunRetryDelay"/> up to
/// <see cref="AppendLogOptions.ArchiveRunRetryMaxDelay"/>) until a run succeeds, so archiving resumes soon after the
/// archive returns without waiting for the reminder. A reminder that cannot be registered (no reminder service, or a
/// period below its minimum) is logged and tried again later; it never stops archiving. Runs do not interleave, so
/// duplicate or late ticks only queue a run that finds nothing to do.
/// </summary>
[PartitionOwnerPlacement]
[Immovable]
internal sealed partial class PartitionArchiverGrain(IOptions<AppendLogOptions> options, TimeProvider time, ILogger<PartitionArchiverGrain> logger)
    : Grain, IPartitionArchiverGrain, IRemindable
{
    private const string ReminderName = "archive";

    /// <summary>How long after a failed registration the reminder is tried again (at the next poke after it).</summary>
    private static readonly TimeSpan ReminderRetryInterval = TimeSpan.FromMinutes(1);

    private bool _reminderRegistered;
    private DateTimeOffset _nextReminderAttempt = DateTimeOffset.MinValue;
    private IGrainTimer? _retryTimer;
    private int _failedRuns;

    public async Task PokeAsync()
    {
        await EnsureReminderAsync();
        await RunAsync();
    }

    public async Task<ArchivalReport> RunAsync()
    {
        var key = this.GetPrimaryKeyString();
        ArchivalReport report;
        try
        {
            report = await GrainFactory.GetGrain<IPartitionAdminGrain>(key).RunArchivalAsync(options.Value.MaxArchiveSegmentsPerRun);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The partition could not run at all (its owner is down, it could not open, the call timed out): try again later.
            ScheduleRetry(key, $"{e.GetType().Name}: {e.Message}");
            throw;
        }

        if (report.Archived.Count > 0 || report.Evicted.Count > 0 || report.Deleted.Count > 0)
        {
            LogRun(logger, key, report.Archived.Count, report.Evicted.Count, report.Deleted.Count, report.BacklogSegments);
        }

        if (report.Error is { } error)
        {
            ScheduleRetry(key, error);
            return report;
        }

        if (_failedRuns > 0)
        {
            LogRecovered(logger, key, _failedRuns, report.BacklogSegments);
        }

        StopRetrying();
        if (report.Archived.Count >= options.Value.MaxArchiveSegmentsPerRun && report.MoreWork)
        {
            // More waits than one run may take: continue after other calls had their turn.
            this.AsReference<IPartitionArchiverGrain>().PokeAsync().Ignore();
        }

        return report;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        try
        {
            await RunAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The partition is unavailable or could not open; the retry timer (and the next tick) try again.
            LogUnavailable(logger, this.GetPrimaryKeyString(), e.Message);
        }
    }

    /// <summary>The delay before the next retry after <paramref name="failedRuns"/> failed runs: doubling from <paramref name="first"/>, at most <paramref name="max"/>.</summary>
    internal static TimeSpan RetryDelay(int failedRuns, TimeSpan first, TimeSpan max)
    {
        var doublings = Math.Clamp(failedRuns - 1, 0, 30);
        var delay = first.Ticks * Math.Pow(2, doublings);
        return delay >= max.Ticks ? max : TimeSpan.FromTicks((long)delay);
    }

    private void ScheduleRetry(string key, string error)
    {
        _failedRuns++;
        var delay = RetryDelay(_failedRuns, options.Value.ArchiveRunRetryDelay, options.Value.ArchiveRunRetryMaxDelay);
        LogRetryScheduled(logger, key, _failedRuns, delay.TotalMilliseconds, error);
        if (_retryTimer is null)
        {
            // Non-interleaving, and it keeps the archiver active while a retry is due.
            _retryTimer = this.RegisterGrainTimer(
                static (self, _) => self.RetryAsync(),
                this,
                new GrainTimerCreationOptions { DueTime = delay, Period = Timeout.InfiniteTimeSpan, Interleave = false, KeepAlive = true });
        }
        else
        {
            _retryTimer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    private void StopRetrying()
    {
        _failedRuns = 0;
        _retryTimer?.Dispose();
        _retryTimer = null;
    }

    private async Task RetryAsync()
    {
        try
        {
            await EnsureReminderAsync();
            await RunAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // RunAsync scheduled the next attempt.
            LogUnavailable(logger, this.GetPrimaryKeyString(), e.Message);
        }
    }

    private async Task EnsureReminderAsync()
    {
        if (_reminderRegistered || time.GetUtcNow() < _nextReminderAttempt)
        {
            return;
        }

        var period = options.Value.ArchiveReminderPeriod;
        try
        {
            await this.RegisterOrUpdateReminder(ReminderName, period, period);
            _reminderRegistered = true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // No reminder service, a period below its minimum, or the reminder store is down: archiving goes on without
            // the safety net (seal pokes and retries), and the registration is tried again later.
            _nextReminderAttempt = time.GetUtcNow() + ReminderRetryInterval;
            LogReminderFailed(logger, this.GetPrimaryKeyString(), period, e);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Archiver {Partition}: archived {Archived}, evicted {Evicted}, deleted {Deleted} segment(s); {Backlog} waiting")]
    private static partial void LogRun(ILogger logger, string partition, int archived, int evicted, int deleted, int backlog);

    [LoggerMessage(2, LogLevel.Debug, "Archiver {Partition}: the partition is unavailable ({Reason}); retrying later")]
    private static partial void LogUnavailable(ILogger logger, string partition, string reason);

    [LoggerMessage(3, LogLevel.Warning, "Archiver {Partition}: run failed ({FailedRuns} in a row); retrying in {DelayMs:0} ms. {Error}")]
    private static partial void LogRetryScheduled(ILogger logger, string partition, int failedRuns, double delayMs, string error);

    [LoggerMessage(4, LogLevel.Information, "Archiver {Partition}: archiving works again after {FailedRuns} failed run(s); {Backlog} segment(s) waiting")]
    private static partial void LogRecovered(ILogger logger, string partition, int failedRuns, int backlog);

    [LoggerMessage(5, LogLevel.Warning, "Archiver {Partition}: the reminder (period {Period}) could not be registered; archiving continues on seal pokes and retries, and the registration is tried again later")]
    private static partial void LogReminderFailed(ILogger logger, string partition, TimeSpan period, Exception exception);
}
