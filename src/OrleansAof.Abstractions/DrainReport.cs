namespace OrleansAof;

/// <summary>What a drain did.</summary>
/// <param name="Silo">The drained silo.</param>
/// <param name="Partitions">Each partition it held.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.DrainReport")]
public sealed record DrainReport([property: Id(0)] string Silo, [property: Id(1)] IReadOnlyList<DrainedPartition> Partitions)
{
    /// <summary>Whether every partition moved.</summary>
    public bool Complete => Partitions.All(static p => p.Error is null);
}
