namespace OrleansAof;

/// <summary>One partition a silo holds.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="IsOpen">Whether the partition is open on the silo right now (its grain is active there).</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.PartitionPresence")]
public sealed record PartitionPresence(
    [property: Id(0)] string Log,
    [property: Id(1)] string Partition,
    [property: Id(2)] bool IsOpen)
{
    /// <summary>The partition's grain key <c>{log}/{partition}</c>.</summary>
    public string Key => string.Concat(Log, "/", Partition);
}
