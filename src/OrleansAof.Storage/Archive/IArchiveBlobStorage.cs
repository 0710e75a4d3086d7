namespace OrleansAof.Storage.Archive;

/// <summary>
/// The transport of an archive: a few calls that move whole blobs to and from one store (a folder, an S3 bucket). The
/// archive protocol (<see cref="BlobSegmentArchive"/>: metadata, compression, verification, idempotent puts) is written
/// once over it; an implementation only moves bytes, maps its own errors and prepares its store (a root folder, a bucket).
/// </summary>
/// <remarks>
/// Keys are relative (<c>{log}/{partition}/{fileName}</c>, see <see cref="ArchiveObjectKey.RelativeKey"/>); a store may
/// place them under its own root or prefix. Failures of the store itself are thrown as
/// <see cref="ArchiveUnavailableException"/>; damage the store detects in its own bookkeeping (a sidecar that fails its
/// checksum) as <see cref="ArchiveIntegrityException"/>; a store that finds a blob's bytes do not match the store's own
/// checksum while they are read throws <see cref="InvalidDataException"/> from the content stream.
/// </remarks>
public interface IArchiveBlobStorage
{
    /// <summary>A short description for logs and tools (never contains credentials).</summary>
    string Description { get; }

    /// <summary>Stores <paramref name="upload"/> under <paramref name="key"/>, replacing what was there.</summary>
    Task PutAsync(string key, ArchiveBlobUpload upload, CancellationToken cancellationToken);

    /// <summary>The blob's facts, or <see langword="null"/> when there is no blob under <paramref name="key"/>.</summary>
    Task<ArchiveBlobInfo?> GetInfoAsync(string key, CancellationToken cancellationToken);

    /// <summary>Opens the blob for reading, or returns <see langword="null"/> when there is no blob under <paramref name="key"/>.</summary>
    Task<ArchiveBlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>The names of the blobs directly inside <paramref name="folder"/> (<c>{log}/{partition}</c>), in ordinal order; nothing for a missing folder.</summary>
    IAsyncEnumerable<string> ListAsync(string folder, CancellationToken cancellationToken);

    /// <summary>Deletes the blob; a missing blob is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}
