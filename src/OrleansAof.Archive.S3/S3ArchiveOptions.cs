using System.Text;
using OrleansAof.Storage;

namespace OrleansAof.Archive.S3;

/// <summary>
/// Options of <see cref="S3SegmentArchive"/>. Every value is checked by <see cref="Validate"/>. Credentials are never
/// part of <see cref="ToString"/> or of the archive's description.
/// </summary>
public sealed class S3ArchiveOptions
{
    /// <summary>The smallest part S3 accepts in a multipart upload (except the last one).</summary>
    public const long MinimumPartSizeBytes = 5L * 1024 * 1024;

    /// <summary>The endpoint of an S3-compatible store, for example <c>http://127.0.0.1:9000</c>. Either this or <see cref="Region"/> is required.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>The AWS region (for example <c>eu-west-1</c>); with <see cref="ServiceUrl"/> it is the signing region. Either this or <see cref="ServiceUrl"/> is required.</summary>
    public string? Region { get; set; }

    /// <summary>The bucket. Required; a valid S3 bucket name (3-63 characters of <c>[a-z0-9.-]</c>).</summary>
    public string Bucket { get; set; } = "";

    /// <summary>Key prefix: objects are stored at <c>{Prefix}/{log}/{partition}/{fileName}</c> (no leading slash when empty). Default empty.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>Path-style addressing (<c>{endpoint}/{bucket}/{key}</c>), which most S3-compatible stores need. Default <see langword="false"/>.</summary>
    public bool ForcePathStyle { get; set; }

    /// <summary>Access key id; with <see cref="SecretKey"/>. When both are empty the standard AWS credential chain is used. Never logged.</summary>
    public string? AccessKey { get; set; }

    /// <summary>Secret access key; with <see cref="AccessKey"/>. Never logged.</summary>
    public string? SecretKey { get; set; }

    /// <summary>Objects of at least this many stored bytes are uploaded in parts. Default 64 MiB; between 5 MiB and 5 GiB.</summary>
    public long MultipartThresholdBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>The size of each part of a multipart upload (held in memory while it is sent). Default 16 MiB; between 5 MiB and 512 MiB.</summary>
    public long PartSizeBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>How new objects are stored. Default <see cref="S3ArchiveCompression.None"/>. Objects are read back by what was recorded with them, whatever this says now.</summary>
    public S3ArchiveCompression Compression { get; set; } = S3ArchiveCompression.None;

    /// <summary>The zstd level when <see cref="Compression"/> is <see cref="S3ArchiveCompression.Zstd"/>. Default 3; between 1 and 22.</summary>
    public int ZstdLevel { get; set; } = 3;

    /// <summary>
    /// For S3-compatible stores that do not accept the SDK's <c>aws-chunked</c> uploads or trailing checksums (some
    /// store the chunk framing as data): every request is sent unchunked, and checksums are calculated and validated
    /// only where an operation requires them. Integrity is still checked with Content-MD5 (every upload carries it, so
    /// a single PUT reads the file twice: once for the MD5, once to send it) and the recorded CRC-32C. Off (the default),
    /// a single PUT carries the recorded CRC-32C in <c>x-amz-checksum-crc32c</c> (unchunked, no Content-MD5; the store
    /// rejects a body with another CRC-32C) and the file is read once, checked as it is sent; parts of a multipart upload
    /// carry Content-MD5 either way. A store that ignores <c>x-amz-checksum-crc32c</c> does not check the body in transit;
    /// the archive still checks the file, the stored length and the metadata. Default <see langword="false"/>.
    /// </summary>
    public bool CompatibilityMode { get; set; }

    /// <summary>Create <see cref="Bucket"/> on first use when it does not exist. Default <see langword="false"/>.</summary>
    public bool CreateBucketIfMissing { get; set; }

    /// <summary>Retries of the SDK itself per request (on top of any <c>ResilientSegmentArchive</c>). Default 2; between 0 and 10.</summary>
    public int MaxErrorRetry { get; set; } = 2;

    /// <summary>Timeout of one HTTP request. Default 5 minutes; positive.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Keys per ListObjectsV2 page. Default 1000 (the S3 maximum); between 1 and 1000.</summary>
    public int ListPageSize { get; set; } = 1000;

    /// <summary>Folder for the compressed copy of a segment while it is uploaded. Default: the system's temporary folder.</summary>
    public string? StagingDirectory { get; set; }

    /// <summary>The key prefix without surrounding slashes.</summary>
    internal string NormalizedPrefix => Prefix.Trim('/');

    /// <summary>A copy of these options.</summary>
    public S3ArchiveOptions Clone() => (S3ArchiveOptions)MemberwiseClone();

    /// <summary>Throws <see cref="InvalidLogOptionsException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        const string prefix = nameof(S3ArchiveOptions) + ".";
        if (string.IsNullOrWhiteSpace(ServiceUrl) && string.IsNullOrWhiteSpace(Region))
        {
            throw new InvalidLogOptionsException(prefix + nameof(ServiceUrl), $"or {prefix}{nameof(Region)} is required.");
        }

        if (!string.IsNullOrWhiteSpace(ServiceUrl)
            && (!Uri.TryCreate(ServiceUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            throw new InvalidLogOptionsException(prefix + nameof(ServiceUrl), $"must be an absolute http or https URL; it is '{ServiceUrl}'.");
        }

        if (string.IsNullOrWhiteSpace(Bucket))
        {
            throw new InvalidLogOptionsException(prefix + nameof(Bucket), "is required.");
        }

        if (!IsValidBucketName(Bucket))
        {
            throw new InvalidLogOptionsException(prefix + nameof(Bucket), $"must be 3-63 characters of lower-case letters, digits, '.' and '-', starting and ending with a letter or digit; it is '{Bucket}'.");
        }

        if (Prefix is null || !IsValidPrefix(Prefix))
        {
            throw new InvalidLogOptionsException(prefix + nameof(Prefix), $"must be empty or names separated by single '/' characters, each of [A-Za-z0-9._-] and not '.' or '..', without a leading '/'; it is '{Prefix}'.");
        }

        if (string.IsNullOrEmpty(AccessKey) != string.IsNullOrEmpty(SecretKey))
        {
            var missing = string.IsNullOrEmpty(AccessKey) ? nameof(AccessKey) : nameof(SecretKey);
            var present = missing == nameof(AccessKey) ? nameof(SecretKey) : nameof(AccessKey);
            throw new InvalidLogOptionsException(prefix + missing, $"is required when {present} is set (set both, or neither to use the AWS credential chain).");
        }

        if (MultipartThresholdBytes < MinimumPartSizeBytes || MultipartThresholdBytes > 5L * 1024 * 1024 * 1024)
        {
            throw new InvalidLogOptionsException(prefix + nameof(MultipartThresholdBytes), $"must be between 5 MiB and 5 GiB; it is {MultipartThresholdBytes}.");
        }

        if (PartSizeBytes < MinimumPartSizeBytes || PartSizeBytes > 512L * 1024 * 1024)
        {
            throw new InvalidLogOptionsException(prefix + nameof(PartSizeBytes), $"must be between 5 MiB and 512 MiB; it is {PartSizeBytes}.");
        }

        if (!Enum.IsDefined(Compression))
        {
            throw new InvalidLogOptionsException(prefix + nameof(Compression), $"has an unknown value {Compression}.");
        }

        if (ZstdLevel is < 1 or > 22)
        {
            throw new InvalidLogOptionsException(prefix + nameof(ZstdLevel), $"must be between 1 and 22; it is {ZstdLevel}.");
        }

        if (MaxErrorRetry is < 0 or > 10)
        {
            throw new InvalidLogOptionsException(prefix + nameof(MaxErrorRetry), $"must be between 0 and 10; it is {MaxErrorRetry}.");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            throw new InvalidLogOptionsException(prefix + nameof(RequestTimeout), $"must be positive; it is {RequestTimeout}.");
        }

        if (ListPageSize is < 1 or > 1000)
        {
            throw new InvalidLogOptionsException(prefix + nameof(ListPageSize), $"must be between 1 and 1000; it is {ListPageSize}.");
        }

        if (StagingDirectory is not null && !Path.IsPathFullyQualified(StagingDirectory))
        {
            throw new InvalidLogOptionsException(prefix + nameof(StagingDirectory), $"must be an absolute path when set; it is '{StagingDirectory}'.");
        }
    }

    /// <summary>The settings without credentials (only whether explicit ones are set).</summary>
    public override string ToString()
    {
        var text = new StringBuilder("S3ArchiveOptions { ");
        text.Append("ServiceUrl = ").Append(ServiceUrl ?? "(none)")
            .Append(", Region = ").Append(Region ?? "(none)")
            .Append(", Bucket = ").Append(Bucket)
            .Append(", Prefix = ").Append(Prefix)
            .Append(", ForcePathStyle = ").Append(ForcePathStyle)
            .Append(", Credentials = ").Append(string.IsNullOrEmpty(AccessKey) ? "AWS credential chain" : "explicit (hidden)")
            .Append(", MultipartThresholdBytes = ").Append(MultipartThresholdBytes)
            .Append(", PartSizeBytes = ").Append(PartSizeBytes)
            .Append(", Compression = ").Append(Compression)
            .Append(", ZstdLevel = ").Append(ZstdLevel)
            .Append(", CompatibilityMode = ").Append(CompatibilityMode)
            .Append(", CreateBucketIfMissing = ").Append(CreateBucketIfMissing)
            .Append(" }");
        return text.ToString();
    }

    private static bool IsValidBucketName(string name)
    {
        if (name.Length is < 3 or > 63 || !char.IsAsciiLetterLower(name[0]) && !char.IsAsciiDigit(name[0])
            || !char.IsAsciiLetterLower(name[^1]) && !char.IsAsciiDigit(name[^1]) || name.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsValidPrefix(string prefix)
    {
        var trimmed = prefix.TrimEnd('/');
        if (trimmed.Length == 0)
        {
            return prefix.Length == 0;
        }

        foreach (var part in trimmed.Split('/'))
        {
            if (!Storage.Archive.ArchiveNames.IsValidName(part))
            {
                return false;
            }
        }

        return true;
    }
}
