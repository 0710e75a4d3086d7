using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using ZstdSharp;

namespace OrleansAof.Archive.S3;

/// <summary>
/// An archive in an S3 bucket (AWS S3 or an S3-compatible store). An object's key is
/// <c>{prefix}/{log}/{partition}/{fileName}</c> (no leading slash when the prefix is empty); uncompressed, the object is
/// the segment file byte for byte. The original size and CRC-32C, the stored size and CRC-32C and the compression are
/// recorded in the object's user metadata (<c>x-amz-meta-aof-*</c>).
/// </summary>
/// <remarks>
/// <para>A put reads the local file once to check it against the given facts (compressing it to a staging file when
/// zstd is on), uploads it in one PUT or, from <see cref="S3ArchiveOptions.MultipartThresholdBytes"/>, in parts, each
/// request with Content-MD5 so the store rejects a damaged body, and then checks the stored object with a HEAD (size and
/// metadata). A put of a key that already holds an object with the same original facts changes nothing. A download
/// checks the stored and the original size and CRC-32C; a mismatch deletes the partial file and throws
/// <see cref="ArchiveIntegrityException"/>.</para>
/// <para>Failures of the store are thrown as <see cref="ArchiveUnavailableException"/> (see
/// <see cref="S3ArchiveErrors.ToUnavailable"/>: access denied, missing bucket, throttling, unreachable, other), with the
/// SDK's error as the cause; integrity failures and missing objects keep their own types.
/// <see cref="S3ArchiveErrors.IsTransient"/> tells which ones a retry may cure (wrap the archive in a
/// <see cref="ResilientSegmentArchive"/>).</para>
/// </remarks>
public sealed partial class S3SegmentArchive : ISegmentArchive, IDisposable
{
    internal const string MetadataFormat = "aof-format";
    internal const string MetadataOriginalSize = "aof-original-size";
    internal const string MetadataOriginalChecksum = "aof-original-crc32c";
    internal const string MetadataStoredSize = "aof-stored-size";
    internal const string MetadataStoredChecksum = "aof-stored-crc32c";
    internal const string MetadataCompression = "aof-compression";
    private const string FormatVersion = "1";
    private const string ContentType = "application/octet-stream";
    private const int CopyBufferSize = 1 << 20;
    private const int MaxParts = 10_000;
    private const int ListHeadConcurrency = 8;

    private readonly S3ArchiveOptions _options;
    private readonly IAmazonS3 _client;
    private readonly bool _ownsClient;
    private readonly ILogger _logger;
    private readonly string _prefix;
    private readonly SemaphoreSlim _bucketLock = new(1, 1);
    private volatile bool _bucketReady;

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
    {
        ArgumentNullException.ThrowIfNull(client);
        _options = options.Clone();
        _client = client;
        _ownsClient = ownsClient;
        _logger = logger ?? NullLogger.Instance;
        _prefix = _options.NormalizedPrefix;
    }

    /// <inheritdoc />
    public string Description =>
        $"S3 archive s3://{_options.Bucket}/{_prefix} at {(string.IsNullOrWhiteSpace(_options.ServiceUrl) ? "region " + _options.Region : _options.ServiceUrl)}, "
        + $"compression {(_options.Compression == S3ArchiveCompression.Zstd ? ArchiveCompression.Zstd : ArchiveCompression.None)}"
        + (_options.CompatibilityMode ? ", compatibility mode" : "");

    /// <summary>The full object key of <paramref name="key"/> in the bucket.</summary>
    public string ObjectKeyOf(ArchiveObjectKey key) => _prefix.Length == 0 ? key.RelativeKey : $"{_prefix}/{key.RelativeKey}";

    /// <inheritdoc />
    public Task<ArchivedObjectInfo> PutAsync(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken) =>
        TypedAsync(() => PutCoreAsync(key, localPath, original, cancellationToken), cancellationToken);

    private async Task<ArchivedObjectInfo> PutCoreAsync(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken)
    {
        ArchiveNames.Validate(key);
        ArgumentException.ThrowIfNullOrEmpty(localPath);
        await EnsureBucketAsync(cancellationToken);
        var objectKey = ObjectKeyOf(key);

        var existing = await TryHeadForPutAsync(key, objectKey, cancellationToken);
        if (existing is not null)
        {
            if (existing.Original == original)
            {
                LogPutUnchanged(_logger, key);
                return existing;
            }

            LogReplacingObject(_logger, key, existing.Original.Size, existing.Original.Checksum, original.Size, original.Checksum);
        }

        var started = Stopwatch.GetTimestamp();
        var staged = await Task.Run(() => Stage(key, localPath, original, cancellationToken), cancellationToken);
        try
        {
            var expected = new ArchivedObjectInfo(key, original, staged.StoredSize, staged.StoredChecksum, staged.Compression, default);
            var parts = staged.StoredSize >= _options.MultipartThresholdBytes
                ? await UploadInPartsAsync(objectKey, staged, expected, cancellationToken)
                : await UploadWholeAsync(objectKey, staged, expected, cancellationToken);

            var stored = await HeadAsync(key, objectKey, cancellationToken);
            var problem = stored switch
            {
                null => "the object is missing after the upload",
                var (_, length) when length != expected.StoredSize =>
                    $"the store holds {length} bytes where {expected.StoredSize} were sent (a store that keeps aws-chunked framing as data does this: set S3ArchiveOptions.CompatibilityMode)",
                var (info, _) when info with { LastModified = default } != expected => "the object's metadata differs from what was sent",
                _ => null,
            };
            if (problem is not null)
            {
                LogVerificationFailed(_logger, key, problem);
                await TryDeleteAsync(objectKey);
                throw new ArchiveIntegrityException(key.RelativeKey, $"the check after the upload failed: {problem}; the object was removed");
            }

            var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            LogUploaded(_logger, key, original.Size, staged.StoredSize, staged.Compression, parts, elapsedMs);
            return stored!.Value.Info;
        }
        finally
        {
            staged.Dispose();
        }
    }

    /// <inheritdoc />
    public Task<ArchivedObjectInfo?> GetInfoAsync(ArchiveObjectKey key, CancellationToken cancellationToken) =>
        TypedAsync(() => GetInfoCoreAsync(key, cancellationToken), cancellationToken);

    private async Task<ArchivedObjectInfo?> GetInfoCoreAsync(ArchiveObjectKey key, CancellationToken cancellationToken)
    {
        ArchiveNames.Validate(key);
        var head = await HeadAsync(key, ObjectKeyOf(key), cancellationToken);
        if (head is not { } found)
        {
            // A HEAD answers a missing bucket with the same bare 404 as a missing key. Absence makes eviction keep the
            // local file and archive it again, so it must not be reported during an outage: a listing names NoSuchBucket.
            // (Before the first put creates a bucket this archive may create, a missing bucket is plain absence.)
            if (!_options.CreateBucketIfMissing || _bucketReady)
            {
                await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = ObjectKeyOf(key), MaxKeys = 1 }, cancellationToken);
            }

            return null;
        }

        if (found.ContentLength != found.Info.StoredSize)
        {
            throw new ArchiveIntegrityException(key.RelativeKey, $"the store holds {found.ContentLength} bytes but {found.Info.StoredSize} were recorded");
        }

        return found.Info;
    }

    /// <inheritdoc />
    public Task DownloadAsync(ArchiveObjectKey key, string destinationPath, CancellationToken cancellationToken) =>
        TypedAsync(() => DownloadCoreAsync(key, destinationPath, cancellationToken), cancellationToken);

    private async Task<bool> DownloadCoreAsync(ArchiveObjectKey key, string destinationPath, CancellationToken cancellationToken)
    {
        ArchiveNames.Validate(key);
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        var fullDestination = Path.GetFullPath(destinationPath);
        using var response = await GetObjectAsync(key, new GetObjectRequest { BucketName = _options.Bucket, Key = ObjectKeyOf(key) }, cancellationToken)
            ?? throw new ArchiveObjectNotFoundException(key.RelativeKey);
        var info = ParseMetadata(key, response.Metadata, response.LastModified);
        if (response.ContentLength != info.StoredSize)
        {
            throw new ArchiveIntegrityException(key.RelativeKey, $"the store sends {response.ContentLength} bytes but {info.StoredSize} were recorded; nothing was written");
        }

        if (info.Compression is not (ArchiveCompression.None or ArchiveCompression.Zstd))
        {
            throw new ArchiveIntegrityException(key.RelativeKey, $"its metadata names an unknown compression '{info.Compression}'; nothing was written");
        }

        if (Path.GetDirectoryName(fullDestination) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        var complete = false;
        try
        {
            long storedCount, originalCount;
            uint storedChecksum, originalChecksum;
            await using (var file = new FileStream(fullDestination, FileMode.Create, FileAccess.Write, FileShare.None, CopyBufferSize, useAsync: true))
            {
                using var stored = new ChecksumStream(response.ResponseStream);

                // Uncompressed, the original bytes are the stored bytes: one checksum serves both checks.
                using var originalBytes = info.IsUncompressed ? null : new ChecksumStream(file);
                try
                {
                    if (originalBytes is null)
                    {
                        await stored.CopyToAsync(file, CopyBufferSize, cancellationToken);
                    }
                    else
                    {
                        await DecompressAsync(key, stored, originalBytes, cancellationToken);
                    }
                }
                catch (AmazonClientException e)
                {
                    // The SDK checks a whole-object GET against the ETag when the ETag is the body's MD5, and throws at the end of the body.
                    throw new ArchiveIntegrityException(key.RelativeKey, $"the body does not match the store's own checksum ({e.Message}); the download was deleted");
                }

                // Handed to the OS, not flushed to disk (see ISegmentArchive.DownloadAsync): the caller decides.
                await file.FlushAsync(cancellationToken);
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
            return true;
        }
        finally
        {
            if (!complete)
            {
                TryDeleteLocal(fullDestination);
            }
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ArchivedObjectInfo> ListAsync(string log, string partition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArchiveNames.ValidatePartition(log, partition);
        var listPrefix = ObjectKeyOf(new ArchiveObjectKey(log, partition, "x"))[..^1];
        string? continuationToken = null;
        do
        {
            var request = new ListObjectsV2Request
            {
                BucketName = _options.Bucket,
                Prefix = listPrefix,
                Delimiter = "/",
                MaxKeys = _options.ListPageSize,
                ContinuationToken = continuationToken,
            };
            var page = await TypedAsync(() => _client.ListObjectsV2Async(request, cancellationToken), cancellationToken);
            var keys = new List<ArchiveObjectKey>();
            foreach (var entry in page.S3Objects ?? [])
            {
                var fileName = entry.Key[listPrefix.Length..];
                if (ArchiveNames.IsValidName(fileName) && fileName[0] != '.')
                {
                    keys.Add(new ArchiveObjectKey(log, partition, fileName));
                }
            }

            var infos = new ArchivedObjectInfo?[keys.Count];
            await TypedAsync(
                async () =>
                {
                    await Parallel.ForEachAsync(
                        Enumerable.Range(0, keys.Count),
                        new ParallelOptions { MaxDegreeOfParallelism = ListHeadConcurrency, CancellationToken = cancellationToken },
                        async (i, ct) => infos[i] = await HeadForListAsync(keys[i], ct));
                    return true;
                },
                cancellationToken);
            foreach (var info in infos)
            {
                if (info is not null)
                {
                    yield return info;
                }
            }

            continuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (continuationToken is not null);
    }

    /// <inheritdoc />
    public Task DeleteAsync(ArchiveObjectKey key, CancellationToken cancellationToken) =>
        TypedAsync(() => DeleteCoreAsync(key, cancellationToken), cancellationToken);

    private async Task<bool> DeleteCoreAsync(ArchiveObjectKey key, CancellationToken cancellationToken)
    {
        ArchiveNames.Validate(key);
        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = ObjectKeyOf(key) }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            // Already gone.
        }

        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Description;

    /// <summary>Disposes the client when the archive created it.</summary>
    public void Dispose()
    {
        _bucketLock.Dispose();
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    /// <summary>Runs one call to the store and types its errors (<see cref="S3ArchiveErrors.ToUnavailable"/>).</summary>
    private async Task<T> TypedAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (S3ArchiveErrors.ToUnavailable(e, Description, cancellationToken) is { } typed)
        {
            LogUnavailable(_logger, typed.Reason, typed.Cause);
            throw typed;
        }
    }

    private static S3ArchiveOptions Checked(S3ArchiveOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    private async ValueTask EnsureBucketAsync(CancellationToken cancellationToken)
    {
        if (!_options.CreateBucketIfMissing || _bucketReady)
        {
            return;
        }

        await _bucketLock.WaitAsync(cancellationToken);
        try
        {
            if (_bucketReady)
            {
                return;
            }

            try
            {
                var request = new PutBucketRequest { BucketName = _options.Bucket };
                if (string.IsNullOrWhiteSpace(_options.ServiceUrl) && _options.Region is { } region && region != "us-east-1")
                {
                    request.BucketRegionName = region;
                }

                await _client.PutBucketAsync(request, cancellationToken);
                LogBucketCreated(_logger, _options.Bucket);
            }
            catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
            {
                // It is there.
            }

            _bucketReady = true;
        }
        finally
        {
            _bucketLock.Release();
        }
    }

    private async Task<GetObjectResponse?> GetObjectAsync(ArchiveObjectKey key, GetObjectRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.GetObjectAsync(request, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode is "NoSuchKey" or "NotFound")
        {
            LogNotFound(_logger, key);
            return null;
        }
    }

    private async Task<(ArchivedObjectInfo Info, long ContentLength)?> HeadAsync(ArchiveObjectKey key, string objectKey, CancellationToken cancellationToken)
    {
        GetObjectMetadataResponse head;
        try
        {
            head = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = objectKey }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        return (ParseMetadata(key, head.Metadata, head.LastModified), head.ContentLength);
    }

    /// <summary>The existing object for a put; a damaged one (bad metadata, wrong size) counts as absent, so the put replaces it.</summary>
    private async Task<ArchivedObjectInfo?> TryHeadForPutAsync(ArchiveObjectKey key, string objectKey, CancellationToken cancellationToken)
    {
        try
        {
            var head = await HeadAsync(key, objectKey, cancellationToken);
            if (head is { } found && found.ContentLength != found.Info.StoredSize)
            {
                LogDamagedObjectReplaced(_logger, key, $"the store holds {found.ContentLength} bytes but {found.Info.StoredSize} were recorded");
                return null;
            }

            return head?.Info;
        }
        catch (ArchiveIntegrityException e)
        {
            LogDamagedObjectReplaced(_logger, key, e.Message);
            return null;
        }
    }

    private async Task<ArchivedObjectInfo?> HeadForListAsync(ArchiveObjectKey key, CancellationToken cancellationToken)
    {
        try
        {
            var head = await HeadAsync(key, ObjectKeyOf(key), cancellationToken);
            if (head is { } found && found.ContentLength != found.Info.StoredSize)
            {
                LogForeignObjectSkipped(_logger, key, $"the store holds {found.ContentLength} bytes but {found.Info.StoredSize} were recorded");
                return null;
            }

            return head?.Info;
        }
        catch (ArchiveIntegrityException e)
        {
            LogForeignObjectSkipped(_logger, key, e.Message);
            return null;
        }
    }

    private static ArchivedObjectInfo ParseMetadata(ArchiveObjectKey key, MetadataCollection metadata, DateTime? lastModified)
    {
        string Get(string name) => metadata[name] is { Length: > 0 } value
            ? value
            : throw new ArchiveIntegrityException(key.RelativeKey, $"the object carries no '{name}' metadata (it was not stored by this archive, or its metadata was lost)");

        if (Get(MetadataFormat) != FormatVersion)
        {
            throw new ArchiveIntegrityException(key.RelativeKey, $"the object's metadata has an unknown format '{metadata[MetadataFormat]}'");
        }

        var original = new SegmentFileFacts(ParseSize(key, Get(MetadataOriginalSize)), ParseChecksum(key, Get(MetadataOriginalChecksum)));
        var modified = lastModified is { } time ? new DateTimeOffset(DateTime.SpecifyKind(time.ToUniversalTime(), DateTimeKind.Utc)) : default;
        return new ArchivedObjectInfo(key, original, ParseSize(key, Get(MetadataStoredSize)), ParseChecksum(key, Get(MetadataStoredChecksum)), Get(MetadataCompression), modified);
    }

    private static long ParseSize(ArchiveObjectKey key, string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArchiveIntegrityException(key.RelativeKey, $"the object's metadata has an invalid size '{text}'");

    private static uint ParseChecksum(ArchiveObjectKey key, string text) =>
        text.Length == 8 && uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArchiveIntegrityException(key.RelativeKey, $"the object's metadata has an invalid checksum '{text}'");

    private static void AddMetadata(MetadataCollection metadata, ArchivedObjectInfo info)
    {
        metadata[MetadataFormat] = FormatVersion;
        metadata[MetadataOriginalSize] = info.Original.Size.ToString(CultureInfo.InvariantCulture);
        metadata[MetadataOriginalChecksum] = info.Original.Checksum.ToString("x8", CultureInfo.InvariantCulture);
        metadata[MetadataStoredSize] = info.StoredSize.ToString(CultureInfo.InvariantCulture);
        metadata[MetadataStoredChecksum] = info.StoredChecksum.ToString("x8", CultureInfo.InvariantCulture);
        metadata[MetadataCompression] = info.Compression;
    }

    private async Task<int> UploadWholeAsync(string objectKey, StagedContent staged, ArchivedObjectInfo expected, CancellationToken cancellationToken)
    {
        await using var body = new FileStream(staged.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, CopyBufferSize, useAsync: true);
        var request = new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = objectKey,
            InputStream = body,
            AutoCloseStream = false,
            ContentType = ContentType,
            MD5Digest = Convert.ToBase64String(staged.Md5),
            UseChunkEncoding = !_options.CompatibilityMode,
        };
        AddMetadata(request.Metadata, expected);
        await _client.PutObjectAsync(request, cancellationToken);
        return 1;
    }

    private async Task<int> UploadInPartsAsync(string objectKey, StagedContent staged, ArchivedObjectInfo expected, CancellationToken cancellationToken)
    {
        var initiate = new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = objectKey, ContentType = ContentType };
        AddMetadata(initiate.Metadata, expected);
        var upload = await _client.InitiateMultipartUploadAsync(initiate, cancellationToken);
        var partSize = (int)Math.Max(_options.PartSizeBytes, (staged.StoredSize + MaxParts - 1) / MaxParts);
        var buffer = ArrayPool<byte>.Shared.Rent(partSize);
        try
        {
            var parts = new List<PartETag>();
            await using var file = new FileStream(staged.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, useAsync: true);
            long offset = 0;
            for (var partNumber = 1; offset < staged.StoredSize; partNumber++)
            {
                var length = (int)Math.Min(partSize, staged.StoredSize - offset);
                await file.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken);
                var response = await _client.UploadPartAsync(
                    new UploadPartRequest
                    {
                        BucketName = _options.Bucket,
                        Key = objectKey,
                        UploadId = upload.UploadId,
                        PartNumber = partNumber,
                        PartSize = length,
                        InputStream = new MemoryStream(buffer, 0, length, writable: false),
                        MD5Digest = Convert.ToBase64String(ContentMd5(buffer.AsSpan(0, length))),
                        IsLastPart = offset + length == staged.StoredSize,
                        UseChunkEncoding = !_options.CompatibilityMode,
                    },
                    cancellationToken);
                parts.Add(new PartETag(partNumber, response.ETag));
                offset += length;
            }

            await _client.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest { BucketName = _options.Bucket, Key = objectKey, UploadId = upload.UploadId, PartETags = parts },
                cancellationToken);
            return parts.Count;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await TryAbortAsync(objectKey, upload.UploadId);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task TryAbortAsync(string objectKey, string uploadId)
    {
        try
        {
            // Best effort: some stores do not support it; an abandoned upload is invisible and is reaped by a lifecycle rule.
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = objectKey, UploadId = uploadId }, CancellationToken.None);
        }
        catch (Exception e) when (e is AmazonS3Exception or HttpRequestException or IOException or OperationCanceledException)
        {
            LogAbortFailed(_logger, objectKey, e.Message);
        }
    }

    private async Task TryDeleteAsync(string objectKey)
    {
        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = objectKey }, CancellationToken.None);
        }
        catch (Exception e) when (e is AmazonS3Exception or HttpRequestException or IOException or OperationCanceledException)
        {
            LogCleanupFailed(_logger, objectKey, e.Message);
        }
    }

    private void TryDeleteLocal(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogCleanupFailed(_logger, path, e.Message);
        }
    }

#pragma warning disable CA5351 // MD5 is what the Content-MD5 header of S3 requires; it guards against damage in transit, not against an attacker.
    private static byte[] ContentMd5(ReadOnlySpan<byte> bytes) => MD5.HashData(bytes);
#pragma warning restore CA5351

    private static async Task DecompressAsync(ArchiveObjectKey key, Stream compressed, Stream destination, CancellationToken cancellationToken)
    {
        try
        {
            await using var zstd = new DecompressionStream(compressed, 0, checkEndOfStream: true, leaveOpen: true);
            await zstd.CopyToAsync(destination, CopyBufferSize, cancellationToken);
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

    /// <summary>
    /// Reads the local file once, checks it against <paramref name="original"/> and returns what to upload: the file
    /// itself, or a zstd copy in the staging folder. Computes the stored bytes' CRC-32C and, for a single PUT, their MD5.
    /// </summary>
    private StagedContent Stage(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken)
    {
        using var source = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, CopyBufferSize);
        using var originalBytes = new ChecksumStream(source, computeMd5: _options.Compression == S3ArchiveCompression.None && source.Length < _options.MultipartThresholdBytes);
        if (_options.Compression == S3ArchiveCompression.None)
        {
            CopyWithCancellation(originalBytes, Stream.Null, cancellationToken);
            CheckOriginal(key, localPath, original, originalBytes);
            var md5 = originalBytes.ByteCount < _options.MultipartThresholdBytes ? originalBytes.GetMd5() : [];
            return new StagedContent(localPath, IsTemporary: false, originalBytes.ByteCount, originalBytes.Checksum, md5, ArchiveCompression.None);
        }

        var stagingPath = Path.Combine(_options.StagingDirectory ?? Path.GetTempPath(), $"aof-s3-{Guid.NewGuid():N}.zst");
        var complete = false;
        try
        {
            using var target = new FileStream(stagingPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBufferSize);
            using var storedBytes = new ChecksumStream(target, computeMd5: true);
            using (var zstd = new CompressionStream(storedBytes, _options.ZstdLevel, 0, leaveOpen: true))
            {
                CopyWithCancellation(originalBytes, zstd, cancellationToken);
            }

            storedBytes.Flush();
            CheckOriginal(key, localPath, original, originalBytes);
            complete = true;
            return new StagedContent(stagingPath, IsTemporary: true, storedBytes.ByteCount, storedBytes.Checksum, storedBytes.GetMd5(), ArchiveCompression.Zstd);
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
            throw new ArchiveIntegrityException(
                key.RelativeKey,
                $"the local file '{localPath}' has {read.ByteCount} bytes with CRC-32C {read.Checksum:x8}, but {original.Size} bytes with {original.Checksum:x8} were expected; nothing was uploaded");
        }
    }

    private static void CopyWithCancellation(Stream source, Stream destination, CancellationToken cancellationToken)
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

    /// <summary>What a put uploads: the local file or a compressed staging copy (deleted on dispose).</summary>
    private sealed record StagedContent(string Path, bool IsTemporary, long StoredSize, uint StoredChecksum, byte[] Md5, string Compression) : IDisposable
    {
        public void Dispose()
        {
            if (IsTemporary)
            {
                try
                {
                    File.Delete(Path);
                }
                catch (IOException)
                {
                    // The staging folder is a temporary one; a leftover is harmless.
                }
            }
        }
    }
}
