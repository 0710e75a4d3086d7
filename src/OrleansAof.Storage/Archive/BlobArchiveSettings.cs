namespace OrleansAof.Storage.Archive;

/// <summary>How <see cref="BlobSegmentArchive"/> stores objects in its blob store; each backend sets what suits its store.</summary>
public sealed record BlobArchiveSettings
{
    /// <summary><see cref="ArchiveCompression.None"/> (default) or <see cref="ArchiveCompression.Zstd"/>.</summary>
    public string Compression { get; init; } = ArchiveCompression.None;

    /// <summary>The zstd level when <see cref="Compression"/> is zstd.</summary>
    public int ZstdLevel { get; init; } = 3;

    /// <summary>Folder for compressed staging copies (default the system's temporary folder).</summary>
    public string? StagingDirectory { get; init; }

    /// <summary>
    /// Puts of fewer bytes than this carry the MD5 of their bytes (<see cref="ArchiveBlobUpload.ContentMd5"/>); 0 (default):
    /// never. A store that sends larger bodies in parts computes each part's MD5 itself.
    /// </summary>
    public long ContentMd5BelowBytes { get; init; }

    /// <summary>
    /// Whether the store takes the CRC-32C of a put's bytes with the upload and checks it itself (S3's
    /// <c>x-amz-checksum-crc32c</c>). Then an uncompressed put that needs no MD5 (see <see cref="ContentMd5BelowBytes"/>)
    /// passes the original's recorded CRC-32C (<see cref="ArchiveBlobUpload.Crc32C"/>) and reads the local file only once,
    /// while it is sent: the bytes are checked against the given facts as they go out, and an object whose bytes did not
    /// match is deleted before the put throws <see cref="ArchiveIntegrityException"/>. Default <see langword="false"/>.
    /// </summary>
    public bool StoreChecksCrc32C { get; init; }

    /// <summary>
    /// Whether a put reads the stored bytes back to check their checksum (after the upload, and before it calls an
    /// existing object with the same facts unchanged). Cheap for a local folder; a remote store relies on its own
    /// check of the body (Content-MD5 or the CRC-32C it was given) and the length and metadata check instead.
    /// </summary>
    public bool ReadBackAfterPut { get; init; }

    /// <summary>A hint appended when the stored length differs from the bytes sent (a store setting that may cause it), or <see langword="null"/>.</summary>
    public string? StoredLengthMismatchHint { get; init; }
}
