namespace OrleansAof;

/// <summary>What handing a partition over to another silo found: the partition is sealed and fully archived.</summary>
/// <param name="LastId">The partition's last id at the handover (-1 when empty).</param>
/// <param name="ArchivedSegments">Segments archived by the handover itself.</param>
/// <param name="WriterEpoch">The epoch of the writer that handed it over.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.HandoverReport")]
public sealed record HandoverReport([property: Id(0)] long LastId, [property: Id(1)] int ArchivedSegments, [property: Id(2)] long WriterEpoch);
