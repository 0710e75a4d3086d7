using Orleans.Placement;

namespace OrleansAof.Server.Ownership;

/// <summary>Marks a grain class keyed by a silo name for <see cref="SiloNamePlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class SiloNamePlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public SiloNamePlacementAttribute()
        : base(SiloNamePlacement.Instance)
    {
    }
}
