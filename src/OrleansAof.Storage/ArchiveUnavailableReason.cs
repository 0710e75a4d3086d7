namespace OrleansAof.Storage;

/// <summary>Why the archive cannot be used right now.</summary>
public enum ArchiveUnavailableReason
{
    /// <summary>The archive does not answer: a refused or broken connection, a timeout, a DNS failure or a server error (5xx).</summary>
    Unreachable,

    /// <summary>The archive refuses the credentials or the permission: wrong keys, a denied policy, an unwritable folder (403).</summary>
    AccessDenied,

    /// <summary>The bucket (S3) or the root folder (file-system archive) does not exist.</summary>
    BucketMissing,

    /// <summary>The archive asks the caller to slow down (429, <c>SlowDown</c>).</summary>
    Throttled,

    /// <summary>Any other failure of the archive (the cause says which).</summary>
    Other,
}
