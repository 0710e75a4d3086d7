using Amazon.S3;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.IO;

namespace OrleansAof.Archive.S3;

/// <summary>
/// An archive in an S3 bucket (AWS S3 or an S3-compatible store). An object's key is
/// <c>{prefix}/{log}/{partition}/{fileName}</c> (no leading slash when the prefix is empty); uncompressed, the object is
/// the segment file byte for byte. The original size and CRC-32C, the stored size and CRC-32C and the compression are
/// recorded in the object's user metadata (<c>x-amz-meta-aof-*</c>).
/// </summary>
/// <remarks>
/// <para>The archive protocol (<see cref="BlobSegmentArchive"/>) over the bucket: a put checks the local file against the
/// given facts (compressing it to a staging file when zstd is on), uploads it in one PUT or, from
/// <see cref="S3ArchiveOptions.MultipartThresholdBytes"/>, in parts, so that the store rejects a damaged body — a single
/// PUT with the recorded CRC-32C in <c>x-amz-checksum-crc32c</c> (the file is read once, checked as it is sent), or in
/// <see cref="S3ArchiveOptions.CompatibilityMode"/> and for every part with Content-MD5 — and then checks the stored
/// object with a HEAD (size and metadata). A put of a key that already holds an
/// object with the same original facts changes nothing. A download checks the stored and the original size and CRC-32C;
/// a mismatch deletes the partial file and throws <see cref="ArchiveIntegrityException"/>.</para>
/// <para>Failures of the store are thrown as <see cref="ArchiveUnavailableException"/> (see
/// <see cref="S3ArchiveErrors.ToUnavailable"/>: access denied, missing bucket, throttling, unreachable, other), with the
/// SDK's error as the cause; integrity failures and missing objects keep their own types.
/// <see cref="S3ArchiveErrors.IsTransient"/> tells which ones a retry may cure (wrap the archive in a
/// <see cref="ResilientSegmentArchive"/>).</para>
/// </remarks>
public sealed class S3SegmentArchive : BlobSegmentArchive, IDisposable
{
    /// <summary>Creates an archive with its own client (see <see cref="S3ArchiveClientFactory"/>).</summary>
    /// <param name="options">The options; validated here and copied.</param>
    /// <param name="logger">A logger, or <see langword="null"/> for none.</param>
    /// <exception cref="InvalidLogOptionsException">An option is invalid.</exception>
    public S3SegmentArchive(S3ArchiveOptions options, ILogger<S3SegmentArchive>? logger = null)
        : this(Checked(options), S3ArchiveClientFactory.CreateClient(options), ownsClient: true, logger)
    {
    }

    /// <summary>
    /// Creates an archive over a client the caller owns. With <see cref="S3ArchiveOptions.CompatibilityMode"/> every
    /// request this archive builds is sent unchunked; build the client with <see cref="S3ArchiveClientFactory"/> so its
    /// checksum settings match too.
    /// </summary>
    /// <param name="options">The options; validated here and copied.</param>
    /// <param name="client">The S3 client (not disposed by the archive).</param>
    /// <param name="logger">A logger, or <see langword="null"/> for none.</param>
    /// <exception cref="InvalidLogOptionsException">An option is invalid.</exception>
    public S3SegmentArchive(S3ArchiveOptions options, IAmazonS3 client, ILogger<S3SegmentArchive>? logger = null)
        : this(Checked(options), client, ownsClient: false, logger)
    {
    }

    private S3SegmentArchive(S3ArchiveOptions options, IAmazonS3 client, bool ownsClient, ILogger? logger)
        : base(CreateStorage(options, client, ownsClient, logger), SettingsOf(options), PhysicalFileSystem.Instance, logger)
    {
    }

    /// <summary>The full object key of <paramref name="key"/> in the bucket.</summary>
    public string ObjectKeyOf(ArchiveObjectKey key) => ((S3BlobStorage)Storage).ObjectKeyOf(key.RelativeKey);

    /// <summary>Disposes the client when the archive created it.</summary>
    public void Dispose() => ((S3BlobStorage)Storage).Dispose();

    private static S3BlobStorage CreateStorage(S3ArchiveOptions options, IAmazonS3 client, bool ownsClient, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        return new S3BlobStorage(options.Clone(), client, ownsClient, logger ?? NullLogger.Instance);
    }

    private static BlobArchiveSettings SettingsOf(S3ArchiveOptions options) => new()
    {
        Compression = options.Compression == S3ArchiveCompression.Zstd ? ArchiveCompression.Zstd : ArchiveCompression.None,
        ZstdLevel = options.ZstdLevel,
        StagingDirectory = options.StagingDirectory,
        // Compatibility mode: Content-MD5 on every upload (stores that ignore or refuse x-amz-checksum-* still check it).
        // Otherwise a single PUT carries the recorded CRC-32C in x-amz-checksum-crc32c and the file is read only once.
        ContentMd5BelowBytes = options.CompatibilityMode ? options.MultipartThresholdBytes : 0,
        StoreChecksCrc32C = !options.CompatibilityMode,
        StoredLengthMismatchHint = "a store that keeps aws-chunked framing as data does this: set S3ArchiveOptions.CompatibilityMode",
    };

    private static S3ArchiveOptions Checked(S3ArchiveOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
