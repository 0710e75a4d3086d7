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

/// <summary>
/// The durable table of run-time ownership overrides (one per cluster, key 0). Overrides here win over the silos'
/// configured overrides; placement reads it, and a partition checks it before it opens, so a partition never opens on
/// a silo that is no longer its owner.
/// </summary>
[Alias("aof.IOwnershipGrain")]
public interface IOwnershipGrain : IGrainWithIntegerKey
{
    /// <summary>The current table.</summary>
    [Orleans.Concurrency.ReadOnly]
    [Alias("Get")]
    Task<OwnershipTable> GetAsync();

    /// <summary>Makes <paramref name="silo"/> the owner of <paramref name="key"/> (<c>{log}/{partition}</c> or <c>{log}</c>); durable when it returns.</summary>
    [Alias("Set")]
    Task<OwnershipTable> SetAsync(string key, string silo);

    /// <summary>Removes the override of <paramref name="key"/>; durable when it returns.</summary>
    [Alias("Remove")]
    Task<OwnershipTable> RemoveAsync(string key);
}

/// <summary>What handing a partition over to another silo found: the partition is sealed and fully archived.</summary>
/// <param name="LastId">The partition's last id at the handover (-1 when empty).</param>
/// <param name="ArchivedSegments">Segments archived by the handover itself.</param>
/// <param name="WriterEpoch">The epoch of the writer that handed it over.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.HandoverReport")]
public sealed record HandoverReport([property: Id(0)] long LastId, [property: Id(1)] int ArchivedSegments, [property: Id(2)] long WriterEpoch);

/// <summary>One partition moved by a drain.</summary>
/// <param name="Partition">Its key.</param>
/// <param name="Target">The silo that serves it now.</param>
/// <param name="LastId">Its last id at the handover; the new owner continued after it.</param>
/// <param name="Error">Why it was not moved, if it was not (it stays on the drained silo, appending again).</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.DrainedPartition")]
public sealed record DrainedPartition([property: Id(0)] string Partition, [property: Id(1)] string? Target, [property: Id(2)] long LastId, [property: Id(3)] string? Error);

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
