namespace OrleansAof;

/// <summary>The partitions a silo holds, as listed by <see cref="IAppendLogSiloGrain.ListPartitionsAsync"/>.</summary>
/// <param name="Silo">The silo's name.</param>
/// <param name="DataRoot">The folder its partitions live under (<c>{DataRoot}/{log}/{partition}</c>), as the silo sees it.</param>
/// <param name="Partitions">Every partition found on its disk or open on it, sorted by log, then partition name (ordinal).</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.SiloPartitionList")]
public sealed record SiloPartitionList(
    [property: Id(0)] string Silo,
    [property: Id(1)] string DataRoot,
    [property: Id(2)] IReadOnlyList<PartitionPresence> Partitions);
