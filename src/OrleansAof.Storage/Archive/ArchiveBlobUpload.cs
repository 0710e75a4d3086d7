namespace OrleansAof.Storage.Archive;

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
