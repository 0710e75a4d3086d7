using Orleans.Runtime.Placement;

namespace OrleansAof.Server.Ownership;

/// <summary>
/// Activates a grain whose string key is a silo name on the active member of that name, and nowhere else: when no
/// active member has the name the call fails with <see cref="SiloUnavailableException"/>.
/// </summary>
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

        throw new SiloUnavailableException($"No active silo is named '{name}'.");
    }
}
