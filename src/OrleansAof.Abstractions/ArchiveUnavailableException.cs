namespace OrleansAof;

/// <summary>
/// The partition's archive (an S3 bucket or the archive folder) cannot be used right now. The call needed it: a read of
/// records that live only in the archive (evicted from the silo's disk), a partition opened for the first time on a silo
/// (its history may be in the archive), a handover, or an archival run. Nothing was changed; every acknowledged record is
/// still safe (on the silo's disk or in the archive).
/// </summary>
/// <remarks>
/// <para>What to do: retry later (<see cref="AppendLogException.IsRetryable"/> is true). With
/// <see cref="ArchiveUnavailableReason.Unreachable"/> or <see cref="ArchiveUnavailableReason.Throttled"/> the archive
/// usually comes back by itself; <see cref="ArchiveUnavailableReason.AccessDenied"/> and
/// <see cref="ArchiveUnavailableReason.BucketMissing"/> need an operator to fix the silo's archive credentials, permission
/// or bucket. Appends do not need the archive: they go on until the partition's archive backlog reaches its bound
/// (<c>AppendLogOptions.MaxArchiveBacklogSegments</c> / <c>MaxArchiveBacklogBytes</c>), then fail with the retryable
/// <see cref="LogBackpressureException"/> (reason <c>ArchiveBacklog</c>) until archiving catches up. Archiving resumes by
/// itself once the archive answers; <c>aof status</c> and the silo host's <c>/health/ready</c> show the trouble meanwhile.</para>
/// </remarks>
[GenerateSerializer]
[Alias("aof.ArchiveUnavailableException")]
public sealed class ArchiveUnavailableException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why the archive cannot be used.</param>
    /// <param name="archive">The archive's description (never carries credentials).</param>
    /// <param name="cause">The underlying error as text.</param>
    /// <param name="message">The message.</param>
    public ArchiveUnavailableException(ArchiveUnavailableReason reason, string archive, string cause, string message)
        : base(message)
    {
        Reason = reason;
        Archive = archive;
        Cause = cause;
    }

    /// <summary>Why the archive cannot be used.</summary>
    [Id(0)]
    public ArchiveUnavailableReason Reason { get; private set; }

    /// <summary>The archive's description, for example <c>S3 archive s3://bucket/prefix at http://host:9000</c> (never carries credentials).</summary>
    [Id(1)]
    public string Archive { get; private set; }

    /// <summary>The underlying error as text: its type, the store's status and error code, and its message.</summary>
    [Id(2)]
    public string Cause { get; private set; }

    /// <inheritdoc />
    public override bool IsRetryable => true;
}
