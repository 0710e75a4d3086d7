namespace OrleansAof;

/// <summary>A segment of a partition, as reported by <see cref="IPartitionGrain.GetInfoAsync"/>.</summary>
/// <param name="BaseId">Id of its first record.</param>
/// <param name="LastId">Id of its last record (<paramref name="BaseId"/> - 1 when empty).</param>
/// <param name="RecordCount">Records held.</param>
/// <param name="Status">Lifecycle status (<c>Active</c>, <c>Sealed</c>, <c>Archiving</c>, <c>Archived</c>, <c>LocalEvicted</c>, <c>Quarantined</c>).</param>
/// <param name="SizeBytes">Size of the file (the active segment: bytes used so far).</param>
/// <param name="CreatedAt">When the segment was created.</param>
/// <param name="SealedAt">When it was sealed, if it is.</param>
/// <param name="WriterEpoch">Epoch of the writer that created it.</param>
/// <param name="FileName">File name.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.SegmentSummary")]
public sealed record SegmentSummary(
    [property: Id(0)] long BaseId,
    [property: Id(1)] long LastId,
    [property: Id(2)] long RecordCount,
    [property: Id(3)] string Status,
    [property: Id(4)] long SizeBytes,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] DateTimeOffset? SealedAt,
    [property: Id(7)] long WriterEpoch,
    [property: Id(8)] string FileName);
