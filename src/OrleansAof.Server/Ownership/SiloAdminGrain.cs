using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Runtime.Placement;
using OrleansAof.Server.Placement;

namespace OrleansAof.Server.Ownership;

/// <summary>Places a grain keyed by a silo name on the silo of that name.</summary>
[GenerateSerializer]
[Immutable]
[Alias("aof.SiloNamePlacement")]
public sealed class SiloNamePlacement : PlacementStrategy
{
    /// <summary>The shared instance.</summary>
    public static SiloNamePlacement Instance { get; } = new();
}

/// <summary>Marks a grain keyed by a silo name to run on that silo.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloNamePlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public SiloNamePlacementAttribute()
        : base(SiloNamePlacement.Instance)
    {
    }
}

internal sealed class SiloNamePlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var name = target.GrainIdentity.Key.ToString()!;
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active && string.Equals(member.Name, name, StringComparison.Ordinal))
            {
                return Task.FromResult(member.SiloAddress);
            }
        }

        throw new PartitionUnavailableException(name, $"silo '{name}' is not an active member of the cluster");
    }
}

/// <summary>Runs on the silo it is named after; drains it.</summary>
[SiloNamePlacement]
internal sealed partial class SiloAdminGrain(
    IOptions<AppendLogOptions> options,
    ILocalSiloDetails silo,
    PartitionOwnership ownership,
    OwnershipRefresher refresher,
    ILogger<SiloAdminGrain> logger) : Grain, ISiloAdminGrain
{
    private const string HandedOverFolder = ".handed-over";

    private string SiloName => options.Value.SiloName ?? silo.Name;

    private string DataRoot => options.Value.DataRootFor(SiloName);

    public Task<IReadOnlyList<string>> ListLocalPartitionsAsync() => Task.FromResult<IReadOnlyList<string>>(LocalPartitions());

    public async Task<DrainReport> DrainAsync(string[]? targets)
    {
        var me = SiloName;
        var candidates = (targets is { Length: > 0 } ? targets : ownership.Silos.Where(s => s != me)).Distinct(StringComparer.Ordinal).ToArray();
        if (candidates.Length == 0 || candidates.Contains(me, StringComparer.Ordinal))
        {
            throw new ArgumentException($"A drain of '{me}' needs other silos to move partitions to (got: {string.Join(", ", candidates)}); configure AppendLogOptions.Silos or pass targets.", nameof(targets));
        }

        var results = new List<DrainedPartition>();
        foreach (var key in LocalPartitions())
        {
            results.Add(await MoveAsync(key, PartitionOwnership.Rendezvous(key, candidates)));
        }

        LogDrained(logger, me, results.Count(r => r.Error is null), results.Count);
        return new DrainReport(me, results);
    }

    private async Task<DrainedPartition> MoveAsync(string key, string target)
    {
        var grain = GrainFactory.GetGrain<IPartitionGrain>(key);
        var table = GrainFactory.GetGrain<IOwnershipGrain>(0);
        HandoverReport handover;
        try
        {
            handover = await grain.PrepareHandoverAsync();
        }
        catch (Exception e)
        {
            LogMoveFailed(logger, key, target, e);
            return new DrainedPartition(key, null, -1, e.Message);
        }

        try
        {
            refresher.Apply(await table.SetAsync(key, target));
            await grain.CompleteHandoverAsync();
        }
        catch (Exception e)
        {
            LogMoveFailed(logger, key, target, e);
            try
            {
                refresher.Apply(await table.RemoveAsync(key));
                await grain.CancelHandoverAsync();
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
        var aside = Path.Combine(DataRoot, HandedOverFolder, log, $"{partition}.{handover.WriterEpoch}");
        Directory.CreateDirectory(Path.GetDirectoryName(aside)!);
        Directory.Move(folder, aside);

        var info = await grain.GetInfoAsync();
        if (info.LastId != handover.LastId)
        {
            return new DrainedPartition(key, target, handover.LastId, $"the new owner reports last id {info.LastId}, not {handover.LastId}");
        }

        LogMoved(logger, key, target, handover.LastId);
        return new DrainedPartition(key, target, handover.LastId, null);
    }

    private List<string> LocalPartitions()
    {
        var keys = new List<string>();
        if (!Directory.Exists(DataRoot))
        {
            return keys;
        }

        foreach (var logDir in Directory.GetDirectories(DataRoot))
        {
            var log = Path.GetFileName(logDir);
            if (!PartitionKey.IsValid(log) || log.StartsWith('.'))
            {
                continue;
            }

            foreach (var partitionDir in Directory.GetDirectories(logDir))
            {
                var partition = Path.GetFileName(partitionDir);
                if (PartitionKey.IsValid(partition) && !partition.StartsWith('.') && Directory.Exists(Path.Combine(partitionDir, "segments")))
                {
                    keys.Add(PartitionKey.Format(log, partition));
                }
            }
        }

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    [LoggerMessage(1, LogLevel.Information, "Partition {Partition} moved to silo {Target}; the new owner continues after id {LastId}")]
    private static partial void LogMoved(ILogger logger, string partition, string target, long lastId);

    [LoggerMessage(2, LogLevel.Warning, "Partition {Partition} could not be moved to silo {Target}")]
    private static partial void LogMoveFailed(ILogger logger, string partition, string target, Exception exception);

    [LoggerMessage(3, LogLevel.Information, "Drain of silo {Silo}: {Moved} of {Total} partition(s) moved")]
    private static partial void LogDrained(ILogger logger, string silo, int moved, int total);
}
