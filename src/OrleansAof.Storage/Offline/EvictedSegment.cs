namespace OrleansAof.Storage.Offline;

/// <summary>A segment that is no longer local: evicted to the archive (from the catalog).</summary>
/// <param name="BaseId">First id.</param>
/// <param name="LastId">Last id.</param>
/// <param name="ArchiveKey">Key in the archive.</param>
public sealed record EvictedSegment(long BaseId, long LastId, string? ArchiveKey);
