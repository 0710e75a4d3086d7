namespace OrleansAof.Server.Ownership;

/// <summary>The persisted state of <see cref="OwnershipGrain"/>.</summary>
[GenerateSerializer]
[Alias("aof.OwnershipState")]
internal sealed class OwnershipState
{
    [Id(0)]
    public long Version { get; set; }

    [Id(1)]
    public Dictionary<string, string> Overrides { get; set; } = new(StringComparer.Ordinal);
}
