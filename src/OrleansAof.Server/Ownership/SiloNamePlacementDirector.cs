using Orleans.Runtime.Placement;

namespace OrleansAof.Server.Ownership;

/// <summary>
/// Activates a grain whose string key is a silo name (or ends in <c>@</c> and a silo name, as a replica grain's
/// <c>{log}/{partition}@{silo}</c> does: log and partition names cannot hold <c>@</c>) on the active member of that name,
/// and nowhere else: when no active member has the name the call fails with <see cref="SiloUnavailableException"/>.
/// </summary>
internal sealed class SiloNamePlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString()!;
        var at = key.IndexOf('@', StringComparison.Ordinal);
        var name = at < 0 ? key : key[(at + 1)..];
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active && string.Equals(member.Name, name, StringComparison.Ordinal))
            {
                return Task.FromResult(member.SiloAddress);
            }
        }

        throw new SiloUnavailableException($"No active silo is named '{name}'.");
    }
}
