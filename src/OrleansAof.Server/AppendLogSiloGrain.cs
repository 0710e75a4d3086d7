using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using OrleansAof.Server.Ownership;
using OrleansAof.Storage.IO;

namespace OrleansAof.Server;

/// <summary>
/// <see cref="IAppendLogSiloGrain"/>: lists the partition directories under this silo's data root and the partitions
/// open here, and drains the silo. Placed on the silo its key names and never moved; it holds no state. Listing
/// interleaves with everything; drains run one at a time. Disk work (listing folders, moving a handed-over folder aside)
/// runs on the thread pool, never on the grain's scheduler.
/// </summary>
[SiloNamePlacement]
[Immovable]
internal sealed partial class AppendLogSiloGrain(
    IOptions<AppendLogOptions> options,
    OpenPartitions partitions,
    ILocalSiloDetails silo,
    PartitionOwnership ownership,
    OwnershipRefresher refresher,
    IClusterMembershipService membership,
    TimeProvider time,
    ILogger<AppendLogSiloGrain> logger) : Grain, IAppendLogSiloGrain
{
    /// <summary>How often, and how far apart, a drain asks the new owner of a partition to confirm it serves it.</summary>
    private const int ConfirmAttempts = 150;

    private static readonly TimeSpan ConfirmRetryDelay = TimeSpan.FromMilliseconds(200);

    private string SiloName => options.Value.SiloName ?? silo.Name;

    private string DataRoot => options.Value.DataRootFor(SiloName);

    public async Task<SiloPartitionList> ListPartitionsAsync(string? log = null)
    {
        if (log is not null)
        {
            PartitionKey.Validate(log);
        }

        var siloName = SiloName;
        var dataRoot = DataRoot;

        // Directory listing is blocking I/O: it never runs on the grain's scheduler.
        var onDisk = await Task.Run(() => FindPartitions(dataRoot, log));
        var open = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in partitions.OpenKeys)
        {
            var (l, p) = PartitionKey.Parse(key);
            if (log is null || string.Equals(l, log, StringComparison.Ordinal))
            {
                open.Add(key);
                onDisk.Add((l, p));
            }
        }

        var sorted = new List<(string Log, string Partition)>(onDisk);
        sorted.Sort(static (a, b) =>
        {
            var byLog = string.CompareOrdinal(a.Log, b.Log);
            return byLog != 0 ? byLog : string.CompareOrdinal(a.Partition, b.Partition);
        });
        var result = new PartitionPresence[sorted.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var (l, p) = sorted[i];
            result[i] = new PartitionPresence(l, p, open.Contains(string.Concat(l, "/", p)));
        }

        return new SiloPartitionList(siloName, dataRoot, result);
    }

    public async Task<DrainReport> DrainAsync(string[]? targets)
    {
        var candidates = Candidates(targets);
        var results = new List<DrainedPartition>();
        foreach (var key in await LocalPartitionKeysAsync())
        {
            results.Add(await MoveAsync(key, PartitionOwnership.Rendezvous(key, candidates)));
        }

        LogDrained(logger, SiloName, results.Count(r => r.Error is null), results.Count);
        return new DrainReport(SiloName, results);
    }

    public async Task<DrainedPartition> MovePartitionAsync(string partition, string[]? targets)
    {
        var (log, name) = PartitionKey.Parse(partition);
        var key = PartitionKey.Format(log, name);
        if (!(await LocalPartitionKeysAsync()).Contains(key, StringComparer.Ordinal))
        {
            throw new ArgumentException($"Partition '{key}' is not on silo '{SiloName}' (no folder under {DataRoot}); nothing to move.", nameof(partition));
        }

        return await MoveAsync(key, PartitionOwnership.Rendezvous(key, Candidates(targets)));
    }

    /// <summary>The silos a partition of this silo may move to: <paramref name="targets"/>, or every other configured silo.</summary>
    private string[] Candidates(string[]? targets)
    {
        var me = SiloName;
        var candidates = (targets is { Length: > 0 } ? targets : ownership.Silos.Where(s => s != me)).Distinct(StringComparer.Ordinal).ToArray();
        if (candidates.Length == 0 || candidates.Contains(me, StringComparer.Ordinal))
        {
            throw new ArgumentException($"A drain of '{me}' needs other silos to move partitions to (got: {string.Join(", ", candidates.Select(PartitionKey.ForDisplay))}); configure AppendLogOptions.Silos or pass targets.", nameof(targets));
        }

        if (targets is { Length: > 0 })
        {
            // A partition handed to a silo that is not running would reopen nowhere: refuse before anything moves.
            var active = membership.CurrentSnapshot.Members.Values
                .Where(static m => m.Status == SiloStatus.Active && m.Name is not null)
                .Select(static m => m.Name)
                .ToHashSet(StringComparer.Ordinal);
            if (candidates.FirstOrDefault(t => !active.Contains(t)) is { } unknown)
            {
                throw new InvalidLogOptionsException("targets", $"targets: {PartitionKey.ForDisplay(unknown)} is not an active silo of the cluster (active: {string.Join(", ", active.Order(StringComparer.Ordinal))}); nothing was moved.");
            }
        }

        return candidates;
    }

    private async Task<DrainedPartition> MoveAsync(string key, string target)
    {
        var admin = GrainFactory.GetGrain<IPartitionAdminGrain>(key);
        var table = GrainFactory.GetGrain<IOwnershipGrain>(0);
        HandoverReport handover;
        try
        {
            handover = await admin.PrepareHandoverAsync();
        }
        catch (Exception e)
        {
            LogMoveFailed(logger, key, target, e);
            return new DrainedPartition(key, null, -1, e.Message);
        }

        try
        {
            refresher.Apply(await table.SetAsync(key, target));
            await admin.CompleteHandoverAsync();
        }
        catch (Exception e)
        {
            LogMoveFailed(logger, key, target, e);
            try
            {
                refresher.Apply(await table.RemoveAsync(key));
                await admin.CancelHandoverAsync();
            }
            catch (Exception rollback)
            {
                LogMoveFailed(logger, key, target, rollback);
            }

            return new DrainedPartition(key, null, handover.LastId, e.Message);
        }

        // The local copy must never be opened again here: a later move back starts from the archive instead.
        var (log, partition) = PartitionKey.Parse(key);
        var folder = Path.Combine(DataRoot, log, partition);
        var aside = Path.Combine(DataRoot, OrleansAof.Storage.PartitionLayout.HandedOverFolder, log, $"{partition}.{handover.WriterEpoch}");
        await Task.Run(() => MoveAsideDurably(folder, aside));

        // The first calls after the hand-over may still reach this silo through a cached directory entry and be refused
        // here (the fence): retry until the new owner answers.
        var grain = GrainFactory.GetGrain<IPartitionGrain>(key);
        PartitionStatus info;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                info = await grain.GetInfoAsync();
                break;
            }
            catch (PartitionUnavailableException e) when (attempt < ConfirmAttempts)
            {
                LogConfirmRetry(logger, key, target, attempt, e.Message);
                await Task.Delay(ConfirmRetryDelay, time);
            }
            catch (PartitionUnavailableException e)
            {
                return new DrainedPartition(key, target, handover.LastId, $"handed over to {target}, but it did not confirm serving the partition within {ConfirmAttempts * ConfirmRetryDelay.TotalSeconds:0} s ({e.Message}); check with aof status");
            }
        }

        // Under load the new owner may already have appended after the handed-over id; it must never be behind it.
        if (info.LastId < handover.LastId)
        {
            return new DrainedPartition(key, target, handover.LastId, $"the new owner reports last id {info.LastId}, behind the handed-over {handover.LastId}");
        }

        LogMoved(logger, key, target, handover.LastId);
        return new DrainedPartition(key, target, handover.LastId, null);
    }

    /// <summary>The keys of the partitions on this silo's disk, sorted (ordinal), listed on the thread pool.</summary>
    private Task<List<string>> LocalPartitionKeysAsync()
    {
        var dataRoot = DataRoot;
        return Task.Run(() =>
        {
            var keys = FindPartitions(dataRoot, null).Select(static p => PartitionKey.Format(p.Log, p.Partition)).ToList();
            keys.Sort(StringComparer.Ordinal);
            return keys;
        });
    }

    /// <summary>
    /// Moves a handed-over partition folder aside so that it is never opened here again, durably: the new parent folders
    /// and the rename are flushed into their directories, so a power loss cannot bring the folder back under its old name.
    /// </summary>
    private static void MoveAsideDurably(string folder, string aside)
    {
        var fs = PhysicalFileSystem.Instance;
        var parent = Path.GetDirectoryName(aside)!;
        fs.CreateDirectoryDurably(parent);
        Directory.Move(folder, aside);
        fs.FlushDirectory(parent);
        fs.FlushDirectory(Path.GetDirectoryName(folder)!);
    }

    /// <summary>Every <c>{root}/{log}/{partition}</c> with a <c>segments</c> folder (the rule <c>aof inspect</c> uses); names that are not valid partition names are skipped.</summary>
    private static HashSet<(string Log, string Partition)> FindPartitions(string dataRoot, string? log)
    {
        var found = new HashSet<(string, string)>();
        if (!Directory.Exists(dataRoot))
        {
            return found;
        }

        IEnumerable<string> logDirs = log is null ? Directory.EnumerateDirectories(dataRoot) : [Path.Combine(dataRoot, log)];
        foreach (var logDir in logDirs)
        {
            var logName = Path.GetFileName(logDir);
            if (!PartitionKey.IsValid(logName) || logName.StartsWith('.') || !Directory.Exists(logDir))
            {
                continue;
            }

            foreach (var partitionDir in Directory.EnumerateDirectories(logDir))
            {
                var partitionName = Path.GetFileName(partitionDir);
                if (PartitionKey.IsValid(partitionName) && Directory.Exists(OrleansAof.Storage.PartitionLayout.SegmentsOf(partitionDir)))
                {
                    found.Add((logName, partitionName));
                }
            }
        }

        return found;
    }

    [LoggerMessage(1, LogLevel.Information, "Partition {Partition} moved to silo {Target}; the new owner continues after id {LastId}")]
    private static partial void LogMoved(ILogger logger, string partition, string target, long lastId);

    [LoggerMessage(2, LogLevel.Warning, "Partition {Partition} could not be moved to silo {Target}")]
    private static partial void LogMoveFailed(ILogger logger, string partition, string target, Exception exception);

    [LoggerMessage(4, LogLevel.Debug, "Partition {Partition} handed over to {Target}; confirmation attempt {Attempt} refused: {Reason}")]
    private static partial void LogConfirmRetry(ILogger logger, string partition, string target, int attempt, string reason);

    [LoggerMessage(3, LogLevel.Information, "Drain of silo {Silo}: {Moved} of {Total} partition(s) moved")]
    private static partial void LogDrained(ILogger logger, string silo, int moved, int total);
}
