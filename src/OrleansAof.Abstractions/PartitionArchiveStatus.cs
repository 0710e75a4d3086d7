namespace OrleansAof;

/// <summary>The archive side of a partition, as <see cref="IPartitionGrain.GetInfoAsync"/> reports it.</summary>
/// <param name="Configured">Whether the partition's silo has an archive.</param>
/// <param name="BacklogSegments">Sealed segments waiting for archival.</param>
/// <param name="BacklogBytes">Their bytes.</param>
/// <param name="MaxBacklogSegments">The bound beyond which appends are refused (<c>AppendLogOptions.MaxArchiveBacklogSegments</c>).</param>
/// <param name="MaxBacklogBytes">The bound in bytes (<c>AppendLogOptions.MaxArchiveBacklogBytes</c>).</param>
/// <param name="Error">Why the last archival run failed (an archive outage, a refused key, a missing bucket); null once a run succeeded.</param>
/// <param name="ErrorSince">When the runs started failing (the first failed run since the last success).</param>
/// <param name="FailedRuns">Runs that failed in a row.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.PartitionArchiveStatus")]
public sealed record PartitionArchiveStatus(
    [property: Id(0)] bool Configured,
    [property: Id(1)] int BacklogSegments,
    [property: Id(2)] long BacklogBytes,
    [property: Id(3)] int MaxBacklogSegments,
    [property: Id(4)] long MaxBacklogBytes,
    [property: Id(5)] string? Error,
    [property: Id(6)] DateTimeOffset? ErrorSince,
    [property: Id(7)] int FailedRuns)
{
    /// <summary>Whether the backlog is over its bounds, so the partition refuses appends (<see cref="LogBackpressureException"/>, reason <c>ArchiveBacklog</c>).</summary>
    public bool RefusesAppends => Configured && (BacklogSegments > MaxBacklogSegments || BacklogBytes > MaxBacklogBytes);
}
