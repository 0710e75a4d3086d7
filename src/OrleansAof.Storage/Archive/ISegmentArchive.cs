namespace OrleansAof.Storage.Archive;

/// <summary>
/// Where sealed segments go: a file-system folder, S3 or an S3-compatible store. Implementations must make every
/// call idempotent (a repeated put of the same key with the same bytes is harmless), verify what they store, and
/// never return bytes that fail verification: they throw <see cref="ArchiveIntegrityException"/> instead.
/// Transient faults may be retried by a decorator; implementations report them as thrown exceptions.
/// </summary>
public interface ISegmentArchive
{
    /// <summary>A short description for logs and tools (never contains credentials).</summary>
    string Description { get; }

    /// <summary>
    /// Stores the local file <paramref name="localPath"/> under <paramref name="key"/>, records
    /// <paramref name="original"/> and the stored bytes' size and checksum with the object, then verifies the stored
    /// object against them. Throws <see cref="ArchiveIntegrityException"/> when the verification fails.
    /// </summary>
    Task<ArchivedObjectInfo> PutAsync(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken);

    /// <summary>The facts recorded for <paramref name="key"/>, or <see langword="null"/> when there is no such object.</summary>
    Task<ArchivedObjectInfo?> GetInfoAsync(ArchiveObjectKey key, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the original bytes of <paramref name="key"/> to <paramref name="destinationPath"/> (decompressing if
    /// needed) and checks their size and checksum; on a mismatch deletes the partial file and throws
    /// <see cref="ArchiveIntegrityException"/>. The file is handed to the OS, not flushed to stable storage: a caller
    /// that needs it to survive a crash flushes it (the engine does so for a restored segment, not for read caches).
    /// </summary>
    Task DownloadAsync(ArchiveObjectKey key, string destinationPath, CancellationToken cancellationToken);

    /// <summary>Every object of one partition, by key.</summary>
    IAsyncEnumerable<ArchivedObjectInfo> ListAsync(string log, string partition, CancellationToken cancellationToken);

    /// <summary>Deletes an object; a missing object is not an error.</summary>
    Task DeleteAsync(ArchiveObjectKey key, CancellationToken cancellationToken);
}
