using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using OrleansAof.Server.Placement;

namespace OrleansAof.Server.Archival;

/// <summary>
/// The archiver of one partition: placed on the partition's owner, woken by a reminder (the safety net) and poked by the
/// partition at every seal. A run asks the partition to archive what waits; when the run hit its limit it pokes itself to
/// continue. Runs do not interleave, so duplicate or late ticks only queue a run that finds nothing to do.
/// </summary>
[PartitionOwnerPlacement]
[Immovable]
internal sealed partial class PartitionArchiverGrain(IOptions<AppendLogOptions> options, ILogger<PartitionArchiverGrain> logger)
    : Grain, IPartitionArchiverGrain, IRemindable
{
    private const string ReminderName = "archive";
    private bool _reminderRegistered;

    public async Task PokeAsync()
    {
        await EnsureReminderAsync();
        await RunAsync();
    }

    public async Task<ArchivalReport> RunAsync()
    {
        var key = this.GetPrimaryKeyString();
        var report = await GrainFactory.GetGrain<IPartitionGrain>(key).RunArchivalAsync(options.Value.MaxArchiveSegmentsPerRun);
        if (report.Archived.Count > 0 || report.Evicted.Count > 0 || report.Deleted.Count > 0)
        {
            LogRun(logger, key, report.Archived.Count, report.Evicted.Count, report.Deleted.Count, report.BacklogSegments);
        }

        if (report.Error is null && report.Archived.Count >= options.Value.MaxArchiveSegmentsPerRun && report.MoreWork)
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
        catch (PartitionUnavailableException e)
        {
            // The partition's owner is down; the next tick tries again.
            LogUnavailable(logger, this.GetPrimaryKeyString(), e.Message);
        }
    }

    private async Task EnsureReminderAsync()
    {
        if (_reminderRegistered)
        {
            return;
        }

        var period = options.Value.ArchiveReminderPeriod;
        await this.RegisterOrUpdateReminder(ReminderName, period, period);
        _reminderRegistered = true;
    }

    [LoggerMessage(1, LogLevel.Information, "Archiver {Partition}: archived {Archived}, evicted {Evicted}, deleted {Deleted} segment(s); {Backlog} waiting")]
    private static partial void LogRun(ILogger logger, string partition, int archived, int evicted, int deleted, int backlog);

    [LoggerMessage(2, LogLevel.Debug, "Archiver {Partition}: the partition is unavailable ({Reason}); retrying on the next tick")]
    private static partial void LogUnavailable(ILogger logger, string partition, string reason);
}
