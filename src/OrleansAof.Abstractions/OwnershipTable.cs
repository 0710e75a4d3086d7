namespace OrleansAof;

/// <summary>The cluster-wide ownership overrides set at run time (by a drain or an operator), with a version that grows at every change.</summary>
/// <param name="Version">Grows by one at every change.</param>
/// <param name="Overrides">Key <c>{log}/{partition}</c> (or <c>{log}</c>) to silo name.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.OwnershipTable")]
public sealed record OwnershipTable([property: Id(0)] long Version, [property: Id(1)] IReadOnlyDictionary<string, string> Overrides)
{
    /// <summary>The table with no overrides.</summary>
    public static OwnershipTable Empty { get; } = new(0, new Dictionary<string, string>(StringComparer.Ordinal));
}
