namespace OrleansAof;

/// <summary>A snapshot of a partition.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="State">Open, Faulted or Closed.</param>
/// <param name="FaultReason">Why it is faulted, if it is.</param>
/// <param name="FirstId">First id still held.</param>
/// <param name="LastId">Last id written (-1 when empty).</param>
/// <param name="DurableId">Last id known durable (-1 when none).</param>
/// <param name="WriterEpoch">The writer epoch of this activation.</param>
/// <param name="FlushPolicy">The current flush policy.</param>
/// <param name="Silo">Name of the silo that serves the partition.</param>
/// <param name="Segments">Every segment, by base id.</param>
/// <param name="Archive">Archival: the backlog, its bounds and the last run's error (null from a silo that does not report it).</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.PartitionStatus")]
public sealed record PartitionStatus(
    [property: Id(0)] string Log,
    [property: Id(1)] string Partition,
    [property: Id(2)] string State,
    [property: Id(3)] string? FaultReason,
    [property: Id(4)] long FirstId,
    [property: Id(5)] long LastId,
    [property: Id(6)] long DurableId,
    [property: Id(7)] long WriterEpoch,
    [property: Id(8)] LogFlushPolicy FlushPolicy,
    [property: Id(9)] string Silo,
    [property: Id(10)] IReadOnlyList<SegmentSummary> Segments,
    [property: Id(11)] PartitionArchiveStatus? Archive = null)
{
    /// <summary>The next id an append will get.</summary>
    public long NextId => LastId + 1;
}
