using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Placement;
using OrleansAof.Server.Replication;

namespace OrleansAof.Server.Ownership;

/// <summary>
/// Activates a partition grain only on its owner silo. When the owner is not an active cluster member the placement
/// fails with <see cref="PartitionUnavailableException"/>: Orleans rejects the call with that exception, so the caller
/// sees it at once instead of a fresh, empty log on another silo. With no configured owners every active silo is a
/// candidate (rendezvous hashing over the active silo names): on one silo everything is local.
/// A replicated partition (<see cref="AppendLogOptions.ReplicationFactor"/> above 1) activates on the leader its
/// configuration names when that silo is active, otherwise on the first active replica of its set (the activation then
/// fails over to itself); with no replica active the call fails with <see cref="PartitionUnavailableException"/> at once.
/// </summary>
internal sealed partial class PartitionPlacementDirector(
    PartitionOwnership ownership,
    OwnershipRefresher refresher,
    IClusterMembershipService membership,
    ServerInstruments instruments,
    IGrainFactory grains,
    IOptions<AppendLogOptions> options,
    ILogger<PartitionPlacementDirector> logger) : IPlacementDirector
{
    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString()!;
        var (log, partition) = PartitionKey.Parse(key);
        var factor = options.Value.ReplicationFactorOf(log);
        if (factor > 1)
        {
            return await PlaceReplicatedAsync(key, factor);
        }

        try
        {
            await refresher.EnsureFreshAsync(TimeSpan.FromSeconds(1));
        }
        catch (Exception e) when (e is not PartitionUnavailableException)
        {
            // The copy of the ownership table may be a little old; the partition's own fence checks it before opening.
            LogOwnershipStale(logger, key, e);
        }

        return Place(key, context.LocalSilo);
    }

    private async Task<SiloAddress> PlaceReplicatedAsync(string key, int factor)
    {
        var members = membership.CurrentSnapshot.Members;
        var active = new Dictionary<string, SiloAddress>(StringComparer.Ordinal);
        foreach (var member in members.Values)
        {
            if (member.Status == SiloStatus.Active)
            {
                active[member.Name] = member.SiloAddress;
            }
        }

        var configured = ownership.Silos;
        var candidates = configured.Count > 0 ? configured : [.. active.Keys];
        if (candidates.Count < factor)
        {
            instruments.PlacementRefused();
            throw new PartitionUnavailableException(key, $"its replica set needs {factor} silos and only {candidates.Count} are known; retry once they are up.");
        }

        var initial = new ReplicationConfiguration(0, "", [.. PartitionOwnership.Rank(key, candidates, factor)]);
        var configuration = await grains.GetGrain<IReplicationRecordGrain>(key).GetOrCreateReplicationAsync(initial);
        if (active.TryGetValue(configuration.Leader, out var leader))
        {
            return leader;
        }

        foreach (var replica in configuration.Replicas)
        {
            if (active.TryGetValue(replica, out var address))
            {
                return address;
            }
        }

        instruments.PlacementRefused();
        LogOwnerUnavailable(logger, key, string.Join(", ", configuration.Replicas));
        throw new PartitionUnavailableException(key, $"no silo of its replica set ({string.Join(", ", configuration.Replicas)}) is an active member of the cluster; retry once one is back.");
    }

    private SiloAddress Place(string key, SiloAddress localSilo)
    {
        var (log, partition) = PartitionKey.Parse(key);
        var members = membership.CurrentSnapshot.Members;
        var owner = ownership.OwnerOf(log, partition);
        if (owner is null)
        {
            var names = new List<string>();
            foreach (var member in members.Values)
            {
                if (member.Status == SiloStatus.Active)
                {
                    names.Add(member.Name);
                }
            }

            if (names.Count == 0)
            {
                return localSilo;
            }

            owner = PartitionOwnership.Rendezvous(key, names);
        }

        foreach (var member in members.Values)
        {
            if (member.Status == SiloStatus.Active && string.Equals(member.Name, owner, StringComparison.Ordinal))
            {
                return member.SiloAddress;
            }
        }

        instruments.PlacementRefused();
        LogOwnerUnavailable(logger, key, owner);
        throw new PartitionUnavailableException(key, $"its owner silo '{owner}' is not an active member of the cluster; retry once it is back.");
    }

    [LoggerMessage(2, LogLevel.Warning, "Placing partition {Partition} with a possibly stale ownership table")]
    private static partial void LogOwnershipStale(ILogger logger, string partition, Exception exception);

    [LoggerMessage(1, LogLevel.Warning, "Partition {Partition} was not placed: its owner silo {Owner} is not active")]
    private static partial void LogOwnerUnavailable(ILogger logger, string partition, string owner);
}
