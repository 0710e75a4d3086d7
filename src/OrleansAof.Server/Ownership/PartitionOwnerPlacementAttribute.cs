using Orleans.Placement;

namespace OrleansAof.Server.Ownership;

/// <summary>Marks a grain class for <see cref="PartitionOwnerPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class PartitionOwnerPlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public PartitionOwnerPlacementAttribute()
        : base(PartitionOwnerPlacement.Instance)
    {
    }
}
