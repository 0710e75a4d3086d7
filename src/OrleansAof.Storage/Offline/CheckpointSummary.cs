namespace OrleansAof.Storage.Offline;

/// <summary>A flush checkpoint found in a segment.</summary>
/// <param name="Offset">File offset of the checkpoint (the end of the data it covers).</param>
/// <param name="LastId">Last record id it covers.</param>
/// <param name="RecordCount">Records of the segment it covers.</param>
/// <param name="WrittenAt">When it was written.</param>
public sealed record CheckpointSummary(long Offset, long LastId, long RecordCount, DateTimeOffset WrittenAt);
