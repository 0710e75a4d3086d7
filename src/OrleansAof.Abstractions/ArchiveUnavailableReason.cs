namespace OrleansAof;

/// <summary>Why the archive cannot be used right now (<see cref="ArchiveUnavailableException.Reason"/>).</summary>
[GenerateSerializer]
[Alias("aof.ArchiveUnavailableReason")]
public enum ArchiveUnavailableReason
{
    /// <summary>The archive does not answer: a refused or broken connection, a timeout, a DNS failure or a server error (5xx).</summary>
    Unreachable,

    /// <summary>The archive refuses the silo's credentials or permission: wrong keys, a denied policy, an unwritable folder (403).</summary>
    AccessDenied,

    /// <summary>The bucket (S3) or the root folder (file-system archive) does not exist.</summary>
    BucketMissing,

    /// <summary>The archive asks the silo to slow down (429, <c>SlowDown</c>).</summary>
    Throttled,

    /// <summary>Any other failure of the archive (<see cref="ArchiveUnavailableException.Cause"/> says which).</summary>
    Other,
}
