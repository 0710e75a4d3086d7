namespace OrleansAof.Storage;

/// <summary>A segment as described by the catalog.</summary>
/// <param name="BaseId">Id of its first record.</param>
/// <param name="LastId">Id of its last record (<paramref name="BaseId"/> - 1 when empty).</param>
/// <param name="RecordCount">Records held.</param>
/// <param name="Status">Lifecycle status.</param>
/// <param name="SizeBytes">Size of the file (for the active segment: bytes used so far).</param>
/// <param name="CreatedAt">When the segment was created.</param>
/// <param name="SealedAt">When it was sealed, if it is.</param>
/// <param name="FirstTimestampMicros">Timestamp of the first record (0 when empty).</param>
/// <param name="LastTimestampMicros">Timestamp of the last record (0 when empty).</param>
/// <param name="DataChecksum">Rolling checksum of the records (sealed segments).</param>
/// <param name="FileChecksum">CRC-32C of the whole sealed file, once computed for archival (0 before).</param>
/// <param name="WriterEpoch">Epoch of the writer that created it.</param>
/// <param name="FileName">File name (local and in the archive).</param>
/// <param name="ArchiveKey">Object key in the archive, once archived.</param>
/// <param name="ArchivedSizeBytes">Size of the stored object, once archived.</param>
/// <param name="ArchivedChecksum">CRC-32C of the stored object's bytes, once archived.</param>
public sealed record SegmentInfo(
    long BaseId,
    long LastId,
    long RecordCount,
    SegmentStatus Status,
    long SizeBytes,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SealedAt,
    long FirstTimestampMicros,
    long LastTimestampMicros,
    uint DataChecksum,
    uint FileChecksum,
    long WriterEpoch,
    string FileName,
    string? ArchiveKey,
    long ArchivedSizeBytes,
    uint ArchivedChecksum);
