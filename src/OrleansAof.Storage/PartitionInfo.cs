namespace OrleansAof.Storage;

/// <summary>A snapshot of a partition.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="State">Open, faulted or closed.</param>
/// <param name="FaultReason">Why it is faulted, if it is.</param>
/// <param name="FirstId">First id still held (0 unless retention removed older records).</param>
/// <param name="LastId">Last id written (-1 when empty).</param>
/// <param name="DurableId">Last id known durable (-1 when none).</param>
/// <param name="WriterEpoch">This writer's epoch.</param>
/// <param name="FlushPolicy">The current flush policy.</param>
/// <param name="Segments">Every segment, by base id.</param>
public sealed record PartitionInfo(
    string Log,
    string Partition,
    PartitionState State,
    string? FaultReason,
    long FirstId,
    long LastId,
    long DurableId,
    long WriterEpoch,
    FlushPolicy FlushPolicy,
    IReadOnlyList<SegmentInfo> Segments)
{
    /// <summary>The next id an append will get.</summary>
    public long NextId => LastId + 1;
}
