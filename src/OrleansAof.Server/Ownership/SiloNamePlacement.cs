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
