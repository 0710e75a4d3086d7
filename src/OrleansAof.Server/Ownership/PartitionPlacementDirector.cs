using Microsoft.Extensions.Logging;
using Orleans.Runtime.Placement;

namespace OrleansAof.Server.Ownership;

/// <summary>
/// Activates a partition grain only on its owner silo. When the owner is not an active cluster member the placement
/// fails with <see cref="PartitionUnavailableException"/>: Orleans rejects the call with that exception, so the caller
/// sees it at once instead of a fresh, empty log on another silo. With no configured owners every active silo is a
/// candidate (rendezvous hashing over the active silo names): on one silo everything is local.
/// </summary>
internal sealed partial class PartitionPlacementDirector(
    PartitionOwnership ownership,
    OwnershipRefresher refresher,
    IClusterMembershipService membership,
    ServerInstruments instruments,
    ILogger<PartitionPlacementDirector> logger) : IPlacementDirector
{
    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString()!;
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
