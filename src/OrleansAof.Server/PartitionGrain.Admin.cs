using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace OrleansAof.Server;

/// <summary>
/// The control plane of the partition grain: <see cref="IPartitionAdminGrain"/> (archival runs for the archiver grain, the
/// handover steps for a drain), answered by the same activation as the data plane. Engine calls made here do their disk
/// work off the grain's scheduler, like every engine call.
/// </summary>
internal sealed partial class PartitionGrain
{
    /// <inheritdoc />
    public async Task<ArchivalReport> RunArchivalAsync(int maxSegments)
    {
        if (_archive is null)
        {
            return new ArchivalReport(false, [], [], [], 0, 0, "no archive is configured on this silo");
        }

        if (_neverCreated)
        {
            return new ArchivalReport(true, [], [], [], 0, 0, null);
        }

        var log = Log;

        using var activity = AppendLogTelemetry.Start(AppendLogTelemetry.ArchivalSpan, ActivityKind.Internal, _logName, _partition);
        var archived = new List<long>();
        IReadOnlyList<Storage.SegmentInfo> evicted = [];
        IReadOnlyList<Storage.SegmentInfo> deleted = [];
        string? error = null;
        try
        {
            while (archived.Count < Math.Max(1, maxSegments) && await log.ArchiveNextAsync(_stopping.Token) is { } segment)
            {
                archived.Add(segment.BaseId);
            }

            evicted = await log.EvictArchivedAsync(_stopping.Token);
            deleted = await log.ApplyRetentionAsync(_stopping.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An outage or a damaged segment: report it; the archiver retries (with backoff), a poke or the reminder too.
            error = e.Message;
            LogArchivalFailed(_logger, _key, e);
            AppendLogTelemetry.Failed(activity, e);
        }

        _instruments.ArchivalRun(_logName, archived.Count, evicted.Count, deleted.Count, error is null);

        if (error is null)
        {
            _health.ArchivalSucceeded(_key);
        }
        else
        {
            _health.ArchivalFailed(_key, error);
        }

        var (backlogSegments, backlogBytes) = log.ArchiveBacklog;
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("aof.archived", archived.Count);
            activity.SetTag("aof.evicted", evicted.Count);
            activity.SetTag("aof.deleted", deleted.Count);
            activity.SetTag("aof.backlog_segments", backlogSegments);
        }

        return new ArchivalReport(true, archived, [.. evicted.Select(static s => s.BaseId)], [.. deleted.Select(static s => s.BaseId)], backlogSegments, backlogBytes, error);
    }

    /// <inheritdoc />
    public async Task<HandoverReport> PrepareHandoverAsync()
    {
        var log = Log;
        if (_archive is null)
        {
            throw new PartitionUnavailableException(_key, "it cannot be handed over: no archive is configured on this silo");
        }

        _handingOver = true;
        try
        {
            await log.FlushAsync(_stopping.Token);
            await log.SealAsync(_stopping.Token);
            var archived = 0;
            while (await log.ArchiveNextAsync(_stopping.Token) is not null)
            {
                archived++;
            }

            var (backlog, _) = log.ArchiveBacklog;
            if (backlog > 0)
            {
                throw new PartitionUnavailableException(_key, $"{backlog} sealed segment(s) could not be archived; the handover is abandoned");
            }

            // Everything acknowledged is archived: the new owner continues right after the last id, with no gap.
            await log.ReleaseIdReservationAsync(_stopping.Token);

            LogHandoverPrepared(_logger, _key, log.LastId, archived);
            return new HandoverReport(log.LastId, archived, log.WriterEpoch);
        }
        catch
        {
            _handingOver = false;
            throw;
        }
    }

    /// <inheritdoc />
    public Task CancelHandoverAsync()
    {
        _handingOver = false;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task CompleteHandoverAsync()
    {
        if (!_handingOver || _log is not { } log)
        {
            throw new InvalidOperationException($"Partition '{_key}' is not being handed over; call PrepareHandoverAsync first.");
        }

        _log = null;
        try
        {
            await log.CloseAsync(seal: false);
        }
        finally
        {
            _partitions.Remove(_key, log);
            ReleaseSlot();
            _health.Forget(_key);
        }

        LogHandedOver(_logger, _key, _siloName);
        DeactivateOnIdle();
    }

    /// <summary>Refuses writes while a handover is prepared (they would not be archived before the move).</summary>
    private void ThrowIfHandingOver()
    {
        if (_handingOver)
        {
            throw new PartitionUnavailableException(_key, "the partition is moving to another silo; retry");
        }
    }

    [LoggerMessage(7, LogLevel.Information, "Partition {Partition} prepared for handover: sealed and archived up to id {LastId} ({Archived} segment(s) archived now); appends are refused")]
    private static partial void LogHandoverPrepared(ILogger logger, string partition, long lastId, int archived);

    [LoggerMessage(8, LogLevel.Information, "Partition {Partition} handed over by silo {Silo}: closed here")]
    private static partial void LogHandedOver(ILogger logger, string partition, string silo);

    [LoggerMessage(6, LogLevel.Warning, "Partition {Partition}: archival stopped early; the next run retries")]
    private static partial void LogArchivalFailed(ILogger logger, string partition, Exception exception);
}
