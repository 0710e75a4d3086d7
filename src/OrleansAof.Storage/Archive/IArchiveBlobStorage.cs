namespace OrleansAof.Storage.Archive;

/// <summary>What a blob store holds for one blob: its length, its metadata and when it was stored.</summary>
/// <param name="Length">Bytes stored.</param>
/// <param name="Metadata">The metadata stored with the blob, by name (names as they were put).</param>
/// <param name="LastModified">When it was stored.</param>
public sealed record ArchiveBlobInfo(long Length, IReadOnlyDictionary<string, string> Metadata, DateTimeOffset LastModified);

/// <summary>An open blob: its facts and a stream of its bytes. Disposing it releases the stream (and the connection or file).</summary>
/// <param name="info">The blob's facts.</param>
/// <param name="content">Its bytes, read once from the start.</param>
public sealed class ArchiveBlobContent(ArchiveBlobInfo info, Stream content) : IAsyncDisposable
{
    /// <summary>The blob's facts, as the store reported them when it was opened.</summary>
    public ArchiveBlobInfo Info { get; } = info;

    /// <summary>The blob's bytes. A read error of the store is thrown typed (see <see cref="IArchiveBlobStorage"/>).</summary>
    public Stream Content { get; } = content;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

/// <summary>The bytes and metadata of one put.</summary>
/// <param name="Content">The bytes, read once from the current position.</param>
/// <param name="Length">How many bytes <paramref name="Content"/> holds.</param>
/// <param name="ContentMd5">The MD5 of the bytes when the caller computed it (a store that sends Content-MD5 needs it for bodies it sends in one request), otherwise <see langword="null"/>.</param>
/// <param name="Metadata">Metadata to store with the blob, in order; names are lower-case <c>aof-...</c>, values single-line text.</param>
public sealed record ArchiveBlobUpload(Stream Content, long Length, byte[]? ContentMd5, IReadOnlyList<KeyValuePair<string, string>> Metadata)
{
    /// <summary>
    /// The CRC-32C of the bytes, known before they are read (<see cref="BlobArchiveSettings.StoreChecksCrc32C"/>), for the
    /// store to check the body it receives against; <see langword="null"/> when the caller did not give one.
    /// </summary>
    public uint? Crc32C { get; init; }
}

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
