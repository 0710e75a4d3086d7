namespace OrleansAof.Server.Ownership;

/// <summary>Places a partition grain on its owner silo only (see <see cref="PartitionOwnership"/>).</summary>
[GenerateSerializer]
[Immutable]
[Alias("aof.PartitionOwnerPlacement")]
internal sealed class PartitionOwnerPlacement : PlacementStrategy
{
    /// <summary>The single instance.</summary>
    public static PartitionOwnerPlacement Instance { get; } = new();
}
