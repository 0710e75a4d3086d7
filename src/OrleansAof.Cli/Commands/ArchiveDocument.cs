namespace OrleansAof.Cli.Commands;

/// <summary>The archive side of a partition in <c>aof status</c>.</summary>
/// <param name="Configured">Whether its silo has an archive.</param>
/// <param name="BacklogSegments">Sealed segments waiting for archival.</param>
/// <param name="BacklogBytes">Their bytes.</param>
/// <param name="MaxBacklogSegments">The bound beyond which appends are refused.</param>
/// <param name="MaxBacklogBytes">The bound in bytes.</param>
/// <param name="RefusesAppends">Whether the backlog is over a bound, so appends are refused (LogBackpressureException, ArchiveBacklog).</param>
/// <param name="Error">Why the last archival run failed (null once a run succeeded).</param>
/// <param name="ErrorSince">When the runs started failing.</param>
/// <param name="FailedRuns">Runs that failed in a row.</param>
internal sealed record ArchiveDocument(
    bool Configured,
    int BacklogSegments,
    long BacklogBytes,
    int MaxBacklogSegments,
    long MaxBacklogBytes,
    bool RefusesAppends,
    string? Error,
    DateTimeOffset? ErrorSince,
    int FailedRuns)
{
    public static ArchiveDocument? From(PartitionArchiveStatus? a) => a is null ? null
        : new(a.Configured, a.BacklogSegments, a.BacklogBytes, a.MaxBacklogSegments, a.MaxBacklogBytes, a.RefusesAppends, a.Error, a.ErrorSince, a.FailedRuns);
}
