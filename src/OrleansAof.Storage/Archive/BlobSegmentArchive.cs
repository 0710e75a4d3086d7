using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansAof.Storage.IO;
using ZstdSharp;

namespace OrleansAof.Storage.Archive;

/// <summary>
/// The archive protocol, written once over a blob store (<see cref="IArchiveBlobStorage"/>): what is recorded with an
/// object (the <c>aof-*</c> metadata), compression (a zstd staging copy), the idempotent put and its verification, the
/// checks of every download, and the integrity errors. <see cref="FileSystemArchive"/> and the S3 archive are this class
/// over their own store.
/// </summary>
/// <remarks>
/// <para>A put checks the local file against the given facts, hands its bytes with their metadata to the store, and then checks
/// the stored object: its length and metadata, and, with <see cref="BlobArchiveSettings.ReadBackAfterPut"/>, the CRC-32C of
/// its bytes. An object that fails is deleted and the put throws <see cref="ArchiveIntegrityException"/>. A put of a key
/// that already holds an object with the same original facts changes nothing; a damaged object is replaced.</para>
/// <para>How often the local file is read depends on what the store needs before the upload starts. With zstd, or when
/// the store needs the MD5 of the bytes (<see cref="BlobArchiveSettings.ContentMd5BelowBytes"/>), one pass through
/// <see cref="IFileSystem"/> checks it (and compresses it to a staging file) before the upload reads the result. When the
/// store checks a CRC-32C it is given (<see cref="BlobArchiveSettings.StoreChecksCrc32C"/>) an uncompressed put passes the
/// recorded CRC-32C and the file is read once, by the upload: its length is checked before, its CRC-32C as the bytes go
/// out. A body the store refused for its checksum, when the bytes sent differ from the facts, is reported as
/// <see cref="ArchiveIntegrityException"/> ("nothing was stored"); an object a store kept although the bytes differ is
/// deleted first ("the object was removed").</para>
/// <para>A download checks the stored and the original length and CRC-32C; a mismatch deletes the partial file and throws
/// <see cref="ArchiveIntegrityException"/>. A listing skips objects this archive did not store (no or invalid metadata, a
/// length other than recorded); damage the store reports itself is thrown. Every local file is read and written through
/// <see cref="IFileSystem"/>, off the caller's scheduler.</para>
/// </remarks>
public partial class BlobSegmentArchive : ISegmentArchive, IStreamingSegmentArchive
{
    /// <summary>Metadata name: the version of this metadata.</summary>
    public const string MetadataFormat = "aof-format";

    /// <summary>Metadata name: the original segment file's length.</summary>
    public const string MetadataOriginalSize = "aof-original-size";

    /// <summary>Metadata name: the original segment file's CRC-32C (8 hex digits).</summary>
    public const string MetadataOriginalChecksum = "aof-original-crc32c";

    /// <summary>Metadata name: the stored bytes' length.</summary>
    public const string MetadataStoredSize = "aof-stored-size";

    /// <summary>Metadata name: the stored bytes' CRC-32C (8 hex digits).</summary>
    public const string MetadataStoredChecksum = "aof-stored-crc32c";

    /// <summary>Metadata name: the compression (<see cref="ArchiveCompression"/>).</summary>
    public const string MetadataCompression = "aof-compression";

    private const string FormatVersion = "1";
    private const int CopyBufferSize = 1 << 20;

    // A streaming download announces its bytes in pieces of this size: small enough that the first records are served
    // early, large enough that the file sees few writes.
    private const int StreamChunkSize = 256 * 1024;
    private const int ListConcurrency = 8;
    private const int ListBatch = 256;

    private readonly BlobArchiveSettings _settings;
    private readonly IFileSystem _fileSystem;
    private readonly ILogger _logger;

    /// <summary>Creates the archive protocol over <paramref name="storage"/>.</summary>
    /// <param name="storage">The blob store.</param>
    /// <param name="settings">How objects are stored.</param>
    /// <param name="fileSystem">The file system every local file is read and written through.</param>
    /// <param name="logger">A logger, or <see langword="null"/> for none.</param>
    public BlobSegmentArchive(IArchiveBlobStorage storage, BlobArchiveSettings settings, IFileSystem fileSystem, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(fileSystem);
        if (settings.Compression is not (ArchiveCompression.None or ArchiveCompression.Zstd))
        {
            throw new ArgumentException($"Unknown compression '{settings.Compression}'.", nameof(settings));
        }

        Storage = storage;
        _settings = settings;
        _fileSystem = fileSystem;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public string Description => Storage.Description;

    /// <summary>The blob store.</summary>
    protected IArchiveBlobStorage Storage { get; }

    /// <inheritdoc />
    public Task<ArchivedObjectInfo> PutAsync(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken)
    {
        ArchiveNames.Validate(key);
        ArgumentException.ThrowIfNullOrEmpty(localPath);
        return Task.Run(() => PutCoreAsync(key, localPath, original, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ArchivedObjectInfo?> GetInfoAsync(ArchiveObjectKey key, CancellationToken cancellationToken)
    {
        ArchiveNames.Validate(key);
        var blob = await Storage.GetInfoAsync(key.RelativeKey, cancellationToken).ConfigureAwait(false);
        return blob is null ? null : Checked(key, blob);
    }

    /// <inheritdoc />
    public Task DownloadAsync(ArchiveObjectKey key, string destinationPath, CancellationToken cancellationToken)
    {
        ArchiveNames.Validate(key);
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        return Task.Run(() => DownloadCoreAsync(key, destinationPath, written: null, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    Task IStreamingSegmentArchive.DownloadAsync(ArchiveObjectKey key, string destinationPath, DownloadedBytes written, CancellationToken cancellationToken)
    {
        ArchiveNames.Validate(key);
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        ArgumentNullException.ThrowIfNull(written);
        return Task.Run(() => DownloadCoreAsync(key, destinationPath, written, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ArchivedObjectInfo> ListAsync(string log, string partition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArchiveNames.ValidatePartition(log, partition);
        var batch = new List<ArchiveObjectKey>();
        await foreach (var name in Storage.ListAsync($"{log}/{partition}", cancellationToken).ConfigureAwait(false))
        {
            if (name.Length == 0 || name[0] == '.' || !ArchiveNames.IsValidName(name))
            {
                continue; // temporary and foreign names
            }

            batch.Add(new ArchiveObjectKey(log, partition, name));
            if (batch.Count == ListBatch)
            {
                foreach (var info in await InfoForListAsync(batch, cancellationToken).ConfigureAwait(false))
                {
                    yield return info;
                }

                batch.Clear();
            }
        }

        foreach (var info in await InfoForListAsync(batch, cancellationToken).ConfigureAwait(false))
        {
            yield return info;
        }
    }

    /// <inheritdoc />
    public Task DeleteAsync(ArchiveObjectKey key, CancellationToken cancellationToken)
    {
        ArchiveNames.Validate(key);
        return Storage.DeleteAsync(key.RelativeKey, cancellationToken);
    }

    /// <inheritdoc />
    public override string ToString() => Description;

    private async Task<ArchivedObjectInfo> PutCoreAsync(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken)
    {
        var existing = await TryGetExistingForPutAsync(key, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            if (existing.Original == original
                && (!_settings.ReadBackAfterPut || await VerifyStoredBytesAsync(key, existing, cancellationToken).ConfigureAwait(false) is null))
            {
                LogPutUnchanged(_logger, key);
                return existing;
            }

            LogReplacingObject(_logger, key, existing.Original.Size, existing.Original.Checksum, original.Size, original.Checksum);
        }

        var started = Stopwatch.GetTimestamp();
        var checkWhileSending = _settings.StoreChecksCrc32C && _settings.Compression == ArchiveCompression.None && original.Size >= _settings.ContentMd5BelowBytes;
        using var staged = checkWhileSending
            ? new StagedContent(this, localPath, IsTemporary: false, original.Size, original.Checksum, Md5: null, ArchiveCompression.None)
            : Stage(key, localPath, original, cancellationToken);
        var expected = new ArchivedObjectInfo(key, original, staged.StoredSize, staged.StoredChecksum, staged.Compression, default);
        var file = new StorageFileStream(_fileSystem.OpenFile(staged.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete), canWrite: false);

        // Buffered: a store's client reads its body in small pieces; each would be one positional read of the file.
        using (var body = new UploadChecksumStream(new BufferedStream(file, CopyBufferSize)))
        {
            if (checkWhileSending && file.Length != original.Size)
            {
                throw LocalFileMismatch(key, localPath, original, file.Length, checksum: null, "nothing was stored");
            }

            var upload = new ArchiveBlobUpload(body, staged.StoredSize, staged.Md5, MetadataOf(expected)) { Crc32C = _settings.StoreChecksCrc32C ? staged.StoredChecksum : null };
            try
            {
                await Storage.PutAsync(key.RelativeKey, upload, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (checkWhileSending && body.ProvedDifferent(original) && e is not OperationCanceledException)
            {
                // The store refused the body (its CRC-32C differed from the recorded one, which it was given): the local file is at fault.
                LogVerificationFailed(_logger, key, e.Message);
                throw LocalFileMismatch(key, localPath, original, body.ByteCount, body.Checksum, "nothing was stored");
            }

            if (checkWhileSending && !body.Matches(original))
            {
                // A store that does not check the CRC-32C it was given kept the bytes: remove them.
                await TryDeleteAsync(key).ConfigureAwait(false);
                throw LocalFileMismatch(key, localPath, original, body.ByteCount, body.Checksum, "the object was removed");
            }
        }

        var stored = await Storage.GetInfoAsync(key.RelativeKey, cancellationToken).ConfigureAwait(false);
        var info = stored is null ? null : TryParse(key, stored, out _);
        var problem = stored switch
        {
            null => "the object is missing after the put",
            _ when stored.Length != expected.StoredSize =>
                $"the store holds {stored.Length} bytes where {expected.StoredSize} were sent" + (_settings.StoredLengthMismatchHint is { } hint ? $" ({hint})" : ""),
            _ when info is null || info with { LastModified = default } != expected => "the object's metadata differs from what was sent",
            _ when _settings.ReadBackAfterPut => await VerifyStoredBytesAsync(key, info, cancellationToken).ConfigureAwait(false),
            _ => null,
        };
        if (problem is not null)
        {
            LogVerificationFailed(_logger, key, problem);
            await TryDeleteAsync(key).ConfigureAwait(false);
            throw new ArchiveIntegrityException(key.RelativeKey, $"the check after the put failed: {problem}; the object was removed");
        }

        var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        LogStored(_logger, key, original.Size, staged.StoredSize, staged.Compression, elapsedMs);
        return info!;
    }

    /// <summary>The existing object for a put; a damaged one (bad metadata, wrong length) counts as absent, so the put replaces it.</summary>
    private async Task<ArchivedObjectInfo?> TryGetExistingForPutAsync(ArchiveObjectKey key, CancellationToken cancellationToken)
    {
        try
        {
            return await GetInfoAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (ArchiveIntegrityException e)
        {
            LogDamagedObjectReplaced(_logger, key, e.Message);
            return null;
        }
    }

    /// <summary>The facts of each key for a listing, in order: objects this archive did not store are skipped; errors of the store are thrown.</summary>
    private async Task<List<ArchivedObjectInfo>> InfoForListAsync(List<ArchiveObjectKey> keys, CancellationToken cancellationToken)
    {
        var infos = new ArchivedObjectInfo?[keys.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, keys.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ListConcurrency, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var key = keys[i];
                var blob = await Storage.GetInfoAsync(key.RelativeKey, ct).ConfigureAwait(false);
                if (blob is null)
                {
                    LogIncompleteObjectSkipped(_logger, key);
                    return;
                }

                var info = TryParse(key, blob, out var problem);
                if (info is not null && blob.Length != info.StoredSize)
                {
                    problem = $"the store holds {blob.Length} bytes but {info.StoredSize} were recorded";
                    info = null;
                }

                if (info is null)
                {
                    LogForeignObjectSkipped(_logger, key, problem!);
                }

                infos[i] = info;
            }).ConfigureAwait(false);

        var result = new List<ArchivedObjectInfo>(keys.Count);
        foreach (var info in infos)
        {
            if (info is not null)
            {
                result.Add(info);
            }
        }

        return result;
    }

    private async Task DownloadCoreAsync(ArchiveObjectKey key, string destinationPath, DownloadedBytes? written, CancellationToken cancellationToken)
    {
        var fullDestination = Path.GetFullPath(destinationPath);
        var blob = await Storage.OpenReadAsync(key.RelativeKey, cancellationToken).ConfigureAwait(false) ?? throw new ArchiveObjectNotFoundException(key.RelativeKey);
        await using var _ = blob.ConfigureAwait(false);
        var info = Checked(key, blob.Info, "; nothing was written");
        if (info.Compression is not (ArchiveCompression.None or ArchiveCompression.Zstd))
        {
            throw new ArchiveIntegrityException(key.RelativeKey, $"its metadata names an unknown compression '{info.Compression}'; nothing was written");
        }

        if (Path.GetDirectoryName(fullDestination) is { Length: > 0 } directory)
        {
            _fileSystem.CreateDirectory(directory);
        }

        var complete = false;
        try
        {
            long storedCount, originalCount;
            uint storedChecksum, originalChecksum;
            // Buffered: a network body arrives in small pieces; each would be one positional write of the file. Streaming,
            // each piece is announced once it is in the file (readers may open it meanwhile), compressed or not.
            var target = new StorageFileStream(_fileSystem.OpenFile(fullDestination, FileMode.Create, FileAccess.Write, written is null ? FileShare.None : FileShare.Read), canWrite: true);
            await using (Stream file = written is null ? new BufferedStream(target, CopyBufferSize) : new FrontierWriteStream(target, written, StreamChunkSize))
            {
                using var stored = new ChecksumStream(blob.Content);

                // Uncompressed, the original bytes are the stored bytes: one checksum serves both checks.
                using var originalBytes = info.IsUncompressed ? null : new ChecksumStream(file);
                try
                {
                    if (originalBytes is null)
                    {
                        await stored.CopyToAsync(file, CopyBufferSize, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await DecompressAsync(key, stored, originalBytes, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (InvalidDataException e)
                {
                    throw new ArchiveIntegrityException(key.RelativeKey, $"the body does not match the store's own checksum ({e.Message}); the download was deleted");
                }

                // Handed to the OS, not flushed to disk (see ISegmentArchive.DownloadAsync): the caller decides.
                (storedCount, storedChecksum) = (stored.ByteCount, stored.Checksum);
                (originalCount, originalChecksum) = originalBytes is null ? (storedCount, storedChecksum) : (originalBytes.ByteCount, originalBytes.Checksum);
            }

            if (storedCount != info.StoredSize || storedChecksum != info.StoredChecksum)
            {
                throw new ArchiveIntegrityException(
                    key.RelativeKey,
                    $"the stored bytes ({storedCount} bytes, CRC-32C {storedChecksum:x8}) do not match the recorded {info.StoredSize} bytes with {info.StoredChecksum:x8}; the download was deleted");
            }

            if (originalCount != info.Original.Size || originalChecksum != info.Original.Checksum)
            {
                throw new ArchiveIntegrityException(
                    key.RelativeKey,
                    $"the downloaded file ({originalCount} bytes, CRC-32C {originalChecksum:x8}) does not match the original {info.Original.Size} bytes with {info.Original.Checksum:x8}; the download was deleted");
            }

            complete = true;
        }
        finally
        {
            if (!complete)
            {
                TryDeleteLocal(fullDestination);
            }
        }
    }

    /// <summary>Reads the stored bytes and returns why they do not match <paramref name="info"/>, or <see langword="null"/> when they do.</summary>
    private async Task<string?> VerifyStoredBytesAsync(ArchiveObjectKey key, ArchivedObjectInfo info, CancellationToken cancellationToken)
    {
        var blob = await Storage.OpenReadAsync(key.RelativeKey, cancellationToken).ConfigureAwait(false);
        if (blob is null)
        {
            return "the object is missing";
        }

        await using (blob.ConfigureAwait(false))
        {
            using var stored = new ChecksumStream(blob.Content);
            try
            {
                await stored.CopyToAsync(Stream.Null, CopyBufferSize, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                return $"the body does not match the store's own checksum ({e.Message})";
            }

            if (stored.ByteCount != info.StoredSize || stored.Checksum != info.StoredChecksum)
            {
                return $"the stored bytes ({stored.ByteCount} bytes, CRC-32C {stored.Checksum:x8}) do not match the recorded {info.StoredSize} bytes with {info.StoredChecksum:x8}";
            }

            if (info.IsUncompressed && (stored.ByteCount != info.Original.Size || stored.Checksum != info.Original.Checksum))
            {
                return $"the stored bytes ({stored.ByteCount} bytes, CRC-32C {stored.Checksum:x8}) do not match the original {info.Original.Size} bytes with {info.Original.Checksum:x8}";
            }

            return null;
        }
    }

    /// <summary>
    /// Reads the local file once, checks it against <paramref name="original"/> and returns what to store: the file
    /// itself, or a zstd copy in the staging folder. Computes the stored bytes' CRC-32C and, when wanted, their MD5.
    /// </summary>
    private StagedContent Stage(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken)
    {
        using var source = new StorageFileStream(_fileSystem.OpenFile(localPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete), canWrite: false);
        var compress = _settings.Compression == ArchiveCompression.Zstd;
        using var originalBytes = new ChecksumStream(source, computeMd5: !compress && source.Length < _settings.ContentMd5BelowBytes);
        if (!compress)
        {
            Copy(originalBytes, Stream.Null, cancellationToken);
            CheckOriginal(key, localPath, original, originalBytes);
            var md5 = originalBytes.ByteCount < _settings.ContentMd5BelowBytes ? originalBytes.GetMd5() : null;
            return new StagedContent(this, localPath, IsTemporary: false, originalBytes.ByteCount, originalBytes.Checksum, md5, ArchiveCompression.None);
        }

        var stagingPath = Path.Combine(_settings.StagingDirectory ?? Path.GetTempPath(), $"aof-archive-{Guid.NewGuid():N}.zst");
        var complete = false;
        try
        {
            using var target = new StorageFileStream(_fileSystem.OpenFile(stagingPath, FileMode.CreateNew, FileAccess.Write, FileShare.None), canWrite: true);
            using var storedBytes = new ChecksumStream(target, computeMd5: _settings.ContentMd5BelowBytes > 0);
            using (var zstd = new CompressionStream(storedBytes, _settings.ZstdLevel, 0, leaveOpen: true))
            {
                Copy(originalBytes, zstd, cancellationToken);
            }

            CheckOriginal(key, localPath, original, originalBytes);
            var md5 = _settings.ContentMd5BelowBytes > 0 ? storedBytes.GetMd5() : null;
            complete = true;
            return new StagedContent(this, stagingPath, IsTemporary: true, storedBytes.ByteCount, storedBytes.Checksum, md5, ArchiveCompression.Zstd);
        }
        finally
        {
            if (!complete)
            {
                TryDeleteLocal(stagingPath);
            }
        }
    }

    private static void CheckOriginal(ArchiveObjectKey key, string localPath, SegmentFileFacts original, ChecksumStream read)
    {
        if (read.ByteCount != original.Size || read.Checksum != original.Checksum)
        {
            throw LocalFileMismatch(key, localPath, original, read.ByteCount, read.Checksum, "nothing was stored");
        }
    }

    private static ArchiveIntegrityException LocalFileMismatch(ArchiveObjectKey key, string localPath, SegmentFileFacts original, long size, uint? checksum, string consequence) =>
        new(
            key.RelativeKey,
            $"the local file '{localPath}' has {size} bytes{(checksum is { } crc ? $" with CRC-32C {crc:x8}" : "")}, but {original.Size} bytes with {original.Checksum:x8} were expected; {consequence}");

    private static void Copy(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            int read;
            while ((read = source.Read(buffer, 0, CopyBufferSize)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                destination.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task DecompressAsync(ArchiveObjectKey key, Stream compressed, Stream destination, CancellationToken cancellationToken)
    {
        try
        {
            await using var zstd = new DecompressionStream(compressed, 0, checkEndOfStream: true, leaveOpen: true);
            await zstd.CopyToAsync(destination, CopyBufferSize, cancellationToken).ConfigureAwait(false);
        }
        catch (ZstdException e)
        {
            throw new ArchiveIntegrityException(key.RelativeKey, $"its zstd data cannot be decompressed ({e.Message}); the download was deleted");
        }
        catch (EndOfStreamException e)
        {
            throw new ArchiveIntegrityException(key.RelativeKey, $"its zstd data ends early ({e.Message}); the download was deleted");
        }
    }

    private static IReadOnlyList<KeyValuePair<string, string>> MetadataOf(ArchivedObjectInfo info) =>
    [
        new(MetadataFormat, FormatVersion),
        new(MetadataOriginalSize, info.Original.Size.ToString(CultureInfo.InvariantCulture)),
        new(MetadataOriginalChecksum, info.Original.Checksum.ToString("x8", CultureInfo.InvariantCulture)),
        new(MetadataStoredSize, info.StoredSize.ToString(CultureInfo.InvariantCulture)),
        new(MetadataStoredChecksum, info.StoredChecksum.ToString("x8", CultureInfo.InvariantCulture)),
        new(MetadataCompression, info.Compression),
    ];

    /// <summary>The object's facts; throws <see cref="ArchiveIntegrityException"/> when its metadata is not this archive's or its length differs from the recorded one.</summary>
    private static ArchivedObjectInfo Checked(ArchiveObjectKey key, ArchiveBlobInfo blob, string consequence = "")
    {
        var info = TryParse(key, blob, out var problem) ?? throw new ArchiveIntegrityException(key.RelativeKey, problem!);
        if (blob.Length != info.StoredSize)
        {
            throw new ArchiveIntegrityException(key.RelativeKey, $"the store holds {blob.Length} bytes but {info.StoredSize} were recorded{consequence}");
        }

        return info;
    }

    private static ArchivedObjectInfo? TryParse(ArchiveObjectKey key, ArchiveBlobInfo blob, out string? problem)
    {
        var metadata = blob.Metadata;
        string? Get(string name, ref string? missing)
        {
            if (metadata.TryGetValue(name, out var value) && value.Length > 0)
            {
                return value;
            }

            missing ??= $"the object carries no '{name}' metadata (it was not stored by this archive, or its metadata was lost)";
            return null;
        }

        problem = null;
        if (Get(MetadataFormat, ref problem) is not { } format)
        {
            return null;
        }

        if (format != FormatVersion)
        {
            problem = $"the object's metadata has an unknown format '{format}'";
            return null;
        }

        var originalSize = Get(MetadataOriginalSize, ref problem);
        var originalChecksum = Get(MetadataOriginalChecksum, ref problem);
        var storedSize = Get(MetadataStoredSize, ref problem);
        var storedChecksum = Get(MetadataStoredChecksum, ref problem);
        var compression = Get(MetadataCompression, ref problem);
        if (problem is not null)
        {
            return null;
        }

        if (!TryParseSize(originalSize!, out var original) || !TryParseSize(storedSize!, out var stored))
        {
            problem = $"the object's metadata has an invalid size '{(TryParseSize(originalSize!, out _) ? storedSize : originalSize)}'";
            return null;
        }

        if (!TryParseChecksum(originalChecksum!, out var originalCrc) || !TryParseChecksum(storedChecksum!, out var storedCrc))
        {
            problem = $"the object's metadata has an invalid checksum '{(TryParseChecksum(originalChecksum!, out _) ? storedChecksum : originalChecksum)}'";
            return null;
        }

        return new ArchivedObjectInfo(key, new SegmentFileFacts(original, originalCrc), stored, storedCrc, compression!, blob.LastModified);
    }

    private static bool TryParseSize(string text, out long value) => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static bool TryParseChecksum(string text, out uint value)
    {
        value = 0;
        return text.Length == 8 && uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private async Task TryDeleteAsync(ArchiveObjectKey key)
    {
        try
        {
            await Storage.DeleteAsync(key.RelativeKey, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AppendLogException or IOException or UnauthorizedAccessException or HttpRequestException or OperationCanceledException)
        {
            LogCleanupFailed(_logger, key.RelativeKey, e.Message);
        }
    }

    private void TryDeleteLocal(string path)
    {
        try
        {
            if (_fileSystem.FileExists(path))
            {
                _fileSystem.DeleteFile(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogCleanupFailed(_logger, path, e.Message);
        }
    }

#pragma warning disable CA5351 // MD5 is what the Content-MD5 header of S3 requires; it guards against damage in transit, not against an attacker.
    /// <summary>The MD5 of <paramref name="bytes"/>, for a Content-MD5 header.</summary>
    public static byte[] ContentMd5(ReadOnlySpan<byte> bytes) => MD5.HashData(bytes);
#pragma warning restore CA5351

    /// <summary>What a put stores: the local file or a compressed staging copy (deleted on dispose).</summary>
    private sealed record StagedContent(BlobSegmentArchive Owner, string Path, bool IsTemporary, long StoredSize, uint StoredChecksum, byte[]? Md5, string Compression) : IDisposable
    {
        public void Dispose()
        {
            if (IsTemporary)
            {
                Owner.TryDeleteLocal(Path);
            }
        }
    }
}
