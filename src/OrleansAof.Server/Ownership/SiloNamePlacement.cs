using Orleans.Placement;

namespace OrleansAof.Server.Ownership;

/// <summary>Places a grain keyed by a silo name on the active silo of that name (see <see cref="SiloNamePlacementDirector"/>).</summary>
[GenerateSerializer]
[Immutable]
[Alias("aof.SiloNamePlacement")]
internal sealed class SiloNamePlacement : PlacementStrategy
{
    /// <summary>The single instance.</summary>
    public static SiloNamePlacement Instance { get; } = new();
}

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
