namespace OrleansAof;

/// <summary>What one run of archival did on a partition.</summary>
/// <param name="Configured">Whether the silo has an archive at all.</param>
/// <param name="Archived">Base ids of the segments archived (stored and verified) by this run.</param>
/// <param name="Evicted">Base ids of the segments whose local files were removed by local retention.</param>
/// <param name="Deleted">Base ids of the segments removed from the archive by total retention.</param>
/// <param name="BacklogSegments">Sealed segments still waiting for archival.</param>
/// <param name="BacklogBytes">Their bytes.</param>
/// <param name="Error">Why the run stopped early, if it did (an archive outage, a damaged segment); the next run retries.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.ArchivalReport")]
public sealed record ArchivalReport(
    [property: Id(0)] bool Configured,
    [property: Id(1)] IReadOnlyList<long> Archived,
    [property: Id(2)] IReadOnlyList<long> Evicted,
    [property: Id(3)] IReadOnlyList<long> Deleted,
    [property: Id(4)] int BacklogSegments,
    [property: Id(5)] long BacklogBytes,
    [property: Id(6)] string? Error)
{
    /// <summary>Whether more sealed segments wait (the run hit its limit or stopped early).</summary>
    public bool MoreWork => BacklogSegments > 0;
}

/// <summary>
/// The archiver of one partition (keyed like it, <c>{log}/{partition}</c>, and placed on the same silo): a reminder wakes
/// it periodically as a safety net and the partition pokes it whenever it seals a segment. Each run asks the partition to
/// archive what is waiting; every step is idempotent, so duplicate or late ticks do no harm.
/// </summary>
[Alias("aof.IPartitionArchiverGrain")]
public interface IPartitionArchiverGrain : IGrainWithStringKey
{
    /// <summary>Registers the reminder (idempotent) and runs archival soon.</summary>
    [Orleans.Concurrency.OneWay]
    [Alias("Poke")]
    Task PokeAsync();

    /// <summary>Runs archival now and returns what the partition did.</summary>
    [Alias("Run")]
    Task<ArchivalReport> RunAsync();
}

/// <summary>
/// Serves reads of archived records straight from the archive, on any silo: the fallback while a partition's owner is
/// down. Keyed like the partition; a stateless worker, so it never needs the owner.
/// </summary>
[Alias("aof.IArchiveReaderGrain")]
public interface IArchiveReaderGrain : IGrainWithStringKey
{
    /// <summary>
    /// Reads archived records from <paramref name="fromId"/> (within one archived segment). Returns an empty batch when
    /// <paramref name="fromId"/> is past what the archive holds.
    /// </summary>
    /// <exception cref="PartitionUnavailableException">The silo has no archive configured.</exception>
    [Alias("Read")]
    Task<LogRecordBatch> ReadAsync(long fromId, int maxRecords = 1000, long maxBytes = 4 * 1024 * 1024);
}

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
