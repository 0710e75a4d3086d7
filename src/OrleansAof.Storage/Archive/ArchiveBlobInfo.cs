namespace OrleansAof.Storage.Archive;

/// <summary>What a blob store holds for one blob: its length, its metadata and when it was stored.</summary>
/// <param name="Length">Bytes stored.</param>
/// <param name="Metadata">The metadata stored with the blob, by name (names as they were put).</param>
/// <param name="LastModified">When it was stored.</param>
public sealed record ArchiveBlobInfo(long Length, IReadOnlyDictionary<string, string> Metadata, DateTimeOffset LastModified);
