using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;

namespace OrleansAof.Archive.S3;

/// <summary>
/// The blob store of <see cref="S3SegmentArchive"/>: a blob is the object <c>{prefix}/{key}</c> of the bucket, its
/// metadata the object's user metadata. Only transport lives here: the bucket's creation before the first put, single
/// and multipart uploads with a checksum of the body (<c>x-amz-checksum-crc32c</c> or Content-MD5), the compatibility switch, and the store's errors typed as
/// <see cref="ArchiveUnavailableException"/> (<see cref="S3ArchiveErrors.ToUnavailable"/>). The archive protocol is
/// <see cref="BlobSegmentArchive"/>.
/// </summary>
internal sealed partial class S3BlobStorage : IArchiveBlobStorage, IDisposable
{
    private const string ContentType = "application/octet-stream";
    private const string UserMetadataPrefix = "x-amz-meta-";
    private const int MaxParts = 10_000;

    private readonly S3ArchiveOptions _options;
    private readonly IAmazonS3 _client;
    private readonly bool _ownsClient;
    private readonly ILogger _logger;
    private readonly string _prefix;
    private readonly SemaphoreSlim _bucketLock = new(1, 1);
    private volatile bool _bucketReady;

    public S3BlobStorage(S3ArchiveOptions options, IAmazonS3 client, bool ownsClient, ILogger logger)
    {
        _options = options;
        _client = client;
        _ownsClient = ownsClient;
        _logger = logger;
        _prefix = options.NormalizedPrefix;
    }

    public string Description =>
        $"S3 archive s3://{_options.Bucket}/{_prefix} at {(string.IsNullOrWhiteSpace(_options.ServiceUrl) ? "region " + _options.Region : _options.ServiceUrl)}, "
        + $"compression {(_options.Compression == S3ArchiveCompression.Zstd ? ArchiveCompression.Zstd : ArchiveCompression.None)}"
        + (_options.CompatibilityMode ? ", compatibility mode" : "");

    /// <summary>The full object key of a relative key in the bucket.</summary>
    public string ObjectKeyOf(string key) => _prefix.Length == 0 ? key : $"{_prefix}/{key}";

    public Task PutAsync(string key, ArchiveBlobUpload upload, CancellationToken cancellationToken) =>
        TypedAsync(
            async () =>
            {
                await EnsureBucketAsync(cancellationToken);
                return upload.Length >= _options.MultipartThresholdBytes
                    ? await UploadInPartsAsync(ObjectKeyOf(key), upload, cancellationToken)
                    : await UploadWholeAsync(ObjectKeyOf(key), upload, cancellationToken);
            },
            cancellationToken);

    public Task<ArchiveBlobInfo?> GetInfoAsync(string key, CancellationToken cancellationToken) =>
        TypedAsync(
            async () =>
            {
                var head = await HeadAsync(ObjectKeyOf(key), cancellationToken);
                if (head is null && (!_options.CreateBucketIfMissing || _bucketReady))
                {
                    // A HEAD answers a missing bucket with the same bare 404 as a missing key. Absence makes eviction keep
                    // the local file and archive it again, so it must not be reported during an outage: a listing names
                    // NoSuchBucket. (Before the first put creates a bucket this archive may create, a missing bucket is
                    // plain absence.)
                    await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = ObjectKeyOf(key), MaxKeys = 1 }, cancellationToken);
                }

                return head;
            },
            cancellationToken);

    public Task<ArchiveBlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken) =>
        TypedAsync<ArchiveBlobContent?>(
            async () =>
            {
                GetObjectResponse response;
                try
                {
                    response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _options.Bucket, Key = ObjectKeyOf(key) }, cancellationToken);
                }
                catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode is "NoSuchKey" or "NotFound")
                {
                    LogNotFound(_logger, key);
                    return null;
                }

                var info = new ArchiveBlobInfo(response.ContentLength, MetadataOf(response.Metadata), LastModifiedOf(response.LastModified));
                return new ArchiveBlobContent(info, new BodyStream(this, response));
            },
            cancellationToken);

    public async IAsyncEnumerable<string> ListAsync(string folder, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var listPrefix = ObjectKeyOf(folder + "/");
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
            foreach (var entry in page.S3Objects ?? [])
            {
                if (entry.Key.Length > listPrefix.Length)
                {
                    yield return entry.Key[listPrefix.Length..];
                }
            }

            continuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (continuationToken is not null);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        TypedAsync(
            async () =>
            {
                try
                {
                    await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = ObjectKeyOf(key) }, cancellationToken);
                }
                catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
                {
                    // Already gone.
                }

                return true;
            },
            cancellationToken);

    public void Dispose()
    {
        _bucketLock.Dispose();
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    private static Dictionary<string, string> MetadataOf(MetadataCollection metadata)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in metadata.Keys)
        {
            var bare = name.StartsWith(UserMetadataPrefix, StringComparison.OrdinalIgnoreCase) ? name[UserMetadataPrefix.Length..] : name;
            result[bare] = metadata[name];
        }

        return result;
    }

    private static DateTimeOffset LastModifiedOf(DateTime? lastModified) =>
        lastModified is { } time ? new DateTimeOffset(DateTime.SpecifyKind(time.ToUniversalTime(), DateTimeKind.Utc)) : default;

    /// <summary>Runs one call to the store and types its errors (<see cref="S3ArchiveErrors.ToUnavailable"/>).</summary>
    private async Task<T> TypedAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (ToUnavailable(e, cancellationToken) is { } typed)
        {
            throw typed;
        }
    }

    private ArchiveUnavailableException? ToUnavailable(Exception error, CancellationToken cancellationToken)
    {
        var typed = S3ArchiveErrors.ToUnavailable(error, Description, cancellationToken);
        if (typed is not null)
        {
            LogUnavailable(_logger, typed.Reason, typed.Cause);
        }

        return typed;
    }

    private async Task<ArchiveBlobInfo?> HeadAsync(string objectKey, CancellationToken cancellationToken)
    {
        try
        {
            var head = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = objectKey }, cancellationToken);
            return new ArchiveBlobInfo(head.ContentLength, MetadataOf(head.Metadata), LastModifiedOf(head.LastModified));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static void AddMetadata(MetadataCollection target, ArchiveBlobUpload upload)
    {
        foreach (var (name, value) in upload.Metadata)
        {
            target[name] = value;
        }
    }

    private async Task<int> UploadWholeAsync(string objectKey, ArchiveBlobUpload upload, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = objectKey,
            InputStream = upload.Content,
            AutoCloseStream = false,
            ContentType = ContentType,
            UseChunkEncoding = !_options.CompatibilityMode,
        };
        if (upload.ContentMd5 is { } md5)
        {
            request.MD5Digest = Convert.ToBase64String(md5);
        }
        else if (upload.Crc32C is { } crc)
        {
            // The checksum is known before the body is read, so it goes in a header: no trailer, no aws-chunked body,
            // and the store rejects a body whose CRC-32C differs (BadDigest).
            request.ChecksumAlgorithm = ChecksumAlgorithm.CRC32C;
            request.ChecksumCRC32C = Crc32CHeaderValue(crc);
            request.UseChunkEncoding = false;
        }
        else
        {
            throw new ArgumentException("A single-request upload needs the MD5 (Content-MD5) or the CRC-32C of its bytes.", nameof(upload));
        }

        AddMetadata(request.Metadata, upload);
        await _client.PutObjectAsync(request, cancellationToken);
        return 1;
    }

    /// <summary>The value of an <c>x-amz-checksum-crc32c</c> header: the checksum's four bytes, big-endian, in base64.</summary>
    internal static string Crc32CHeaderValue(uint crc)
    {
        Span<byte> bytes = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, crc);
        return Convert.ToBase64String(bytes);
    }

    private async Task<int> UploadInPartsAsync(string objectKey, ArchiveBlobUpload upload, CancellationToken cancellationToken)
    {
        var initiate = new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = objectKey, ContentType = ContentType };
        AddMetadata(initiate.Metadata, upload);
        var started = await _client.InitiateMultipartUploadAsync(initiate, cancellationToken);
        var partSize = (int)Math.Max(_options.PartSizeBytes, (upload.Length + MaxParts - 1) / MaxParts);
        var buffer = ArrayPool<byte>.Shared.Rent(partSize);
        try
        {
            var parts = new List<PartETag>();
            long offset = 0;
            for (var partNumber = 1; offset < upload.Length; partNumber++)
            {
                var length = (int)Math.Min(partSize, upload.Length - offset);
                await upload.Content.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken);
                var response = await _client.UploadPartAsync(
                    new UploadPartRequest
                    {
                        BucketName = _options.Bucket,
                        Key = objectKey,
                        UploadId = started.UploadId,
                        PartNumber = partNumber,
                        PartSize = length,
                        InputStream = new MemoryStream(buffer, 0, length, writable: false),
                        MD5Digest = Convert.ToBase64String(BlobSegmentArchive.ContentMd5(buffer.AsSpan(0, length))),
                        IsLastPart = offset + length == upload.Length,
                        UseChunkEncoding = !_options.CompatibilityMode,
                    },
                    cancellationToken);
                parts.Add(new PartETag(partNumber, response.ETag));
                offset += length;
            }

            await _client.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest { BucketName = _options.Bucket, Key = objectKey, UploadId = started.UploadId, PartETags = parts },
                cancellationToken);
            return parts.Count;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await TryAbortAsync(objectKey, started.UploadId);
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "Archive object {Key} does not exist.")]
    private static partial void LogNotFound(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The store is unavailable ({Reason}): {Cause}")]
    private static partial void LogUnavailable(ILogger logger, ArchiveUnavailableReason reason, string cause);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created bucket {Bucket}.")]
    private static partial void LogBucketCreated(ILogger logger, string bucket);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not abort the multipart upload of {ObjectKey}: {Reason}")]
    private static partial void LogAbortFailed(ILogger logger, string objectKey, string reason);

    /// <summary>
    /// The body of a GET: read errors of the store are typed (<see cref="S3ArchiveErrors.ToUnavailable"/>), and the SDK's
    /// own end-of-body check against the ETag becomes <see cref="InvalidDataException"/> (see <see cref="IArchiveBlobStorage"/>).
    /// </summary>
    private sealed class BodyStream(S3BlobStorage owner, GetObjectResponse response) : Stream
    {
        private readonly Stream _inner = response.ResponseStream;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return _inner.Read(buffer, offset, count);
            }
            catch (Exception e) when (Typed(e, CancellationToken.None) is { } typed)
            {
                throw typed;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await _inner.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (Typed(e, cancellationToken) is { } typed)
            {
                throw typed;
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                response.Dispose();
            }

            base.Dispose(disposing);
        }

        private Exception? Typed(Exception error, CancellationToken cancellationToken) => error switch
        {
            AmazonServiceException => owner.ToUnavailable(error, cancellationToken),
            AmazonClientException => new InvalidDataException(error.Message, error),
            _ => owner.ToUnavailable(error, cancellationToken),
        };
    }
}
