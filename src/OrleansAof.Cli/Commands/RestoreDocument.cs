using OrleansAof.Storage;

namespace OrleansAof.Cli.Commands;

/// <summary>The JSON document of <c>aof restore</c>.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="PartitionPath">The partition directory.</param>
/// <param name="Archive">The archive.</param>
/// <param name="ArchivedSegments">Segments of the partition the archive lists.</param>
/// <param name="Downloaded">Segment files fetched back from the archive.</param>
/// <param name="State">The partition's state after opening.</param>
/// <param name="FaultReason">Why it is faulted, if it is.</param>
/// <param name="FirstId">First id held.</param>
/// <param name="LastId">Last id held (-1 when empty).</param>
/// <param name="NextId">The id the next append gets.</param>
/// <param name="WriterEpoch">The epoch of the restoring open.</param>
/// <param name="Segments">Every segment as the catalog now records it.</param>
internal sealed record RestoreDocument(
    string Log,
    string Partition,
    string PartitionPath,
    string Archive,
    int ArchivedSegments,
    IReadOnlyList<string> Downloaded,
    PartitionState State,
    string? FaultReason,
    long FirstId,
    long LastId,
    long NextId,
    long WriterEpoch,
    IReadOnlyList<SegmentInfo> Segments);
