namespace OrleansAof.Storage;

/// <summary>
/// The archive (an S3 bucket or the archive folder) cannot be used right now. The call changed nothing it reports as
/// done; what was acknowledged stays safe on local disk. The same call may succeed later (<see cref="IsRetryable"/>):
/// after an outage (<see cref="ArchiveUnavailableReason.Unreachable"/>, <see cref="ArchiveUnavailableReason.Throttled"/>)
/// by itself, after an access or bucket problem once an operator fixed the credentials, the permission or the bucket.
/// </summary>
/// <remarks>
/// <see cref="IsTransient"/> tells the retrying decorator (<see cref="Archive.ResilientSegmentArchive"/>) whether
/// retrying the same request within a call may help: it does for an outage or throttling, not for a refused key or a
/// missing bucket.
/// </remarks>
public sealed class ArchiveUnavailableException(ArchiveUnavailableReason reason, string archive, string cause, bool isTransient, Exception? innerException = null)
    : AppendLogException(FormatMessage(reason, archive, cause), innerException)
{
    /// <summary>Why the archive cannot be used.</summary>
    public ArchiveUnavailableReason Reason { get; } = reason;

    /// <summary>The archive's description (never carries credentials).</summary>
    public string Archive { get; } = archive;

    /// <summary>The underlying error as text (its type, status and message).</summary>
    public string Cause { get; } = cause;

    /// <summary>Whether repeating the request right away (within one call, with backoff) may succeed.</summary>
    public bool IsTransient { get; } = isTransient;

    /// <inheritdoc />
    public override bool IsRetryable => true;

    /// <summary>What an operator or caller should do about <paramref name="reason"/>.</summary>
    public static string AdviceFor(ArchiveUnavailableReason reason) => reason switch
    {
        ArchiveUnavailableReason.Unreachable => "retry later; archiving resumes by itself when the archive answers again",
        ArchiveUnavailableReason.AccessDenied => "check the archive's credentials and permissions; archiving resumes once they are fixed",
        ArchiveUnavailableReason.BucketMissing => "create the bucket (or root folder) or fix its configured name; archiving resumes once it exists",
        ArchiveUnavailableReason.Throttled => "retry later with backoff",
        _ => "retry later; see the cause",
    };

    private static string FormatMessage(ArchiveUnavailableReason reason, string archive, string cause) =>
        $"The archive is unavailable ({reason}): {OneLine(cause)} [{archive}]; {AdviceFor(reason)}.";

    /// <summary><paramref name="text"/> on one line.</summary>
    internal static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
