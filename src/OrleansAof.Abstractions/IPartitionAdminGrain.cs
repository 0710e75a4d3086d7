using Orleans.Concurrency;

namespace OrleansAof;

/// <summary>
/// The control plane of one partition, keyed like <see cref="IPartitionGrain"/> (<c>{log}/{partition}</c>, see
/// <see cref="PartitionKey"/>) and answered by the same activation: archival runs and the steps of a handover to another
/// silo. Applications do not call it: the archiver grain (<see cref="IPartitionArchiverGrain"/>) runs archival, and a
/// drain (<see cref="IAppendLogSiloGrain.DrainAsync"/>, <c>aof drain</c>) runs the handover. Operators and tools may
/// call <see cref="RunArchivalAsync"/> to archive now.
/// </summary>
/// <remarks>Errors are those of <see cref="IPartitionGrain"/>: typed, derived from <see cref="AppendLogException"/>.</remarks>
[Alias("aof.IPartitionAdminGrain")]
public interface IPartitionAdminGrain : IGrainWithStringKey
{
    /// <summary>
    /// Runs archival now (the archiver grain calls it on its reminder and when a segment is sealed): archives up to
    /// <paramref name="maxSegments"/> sealed segments, each verified before and after upload, then evicts local files that
    /// retention allows and applies total retention. Needs an archive on the silo (<c>AddAppendLogFileSystemArchive</c> or
    /// <c>AddAppendLogS3Archive</c>); without one it reports that and does nothing. A failed run reports its error
    /// (<see cref="ArchivalReport.Error"/>) instead of throwing; the next run retries.
    /// </summary>
    [AlwaysInterleave]
    [Alias("RunArchival")]
    Task<ArchivalReport> RunArchivalAsync(int maxSegments);

    /// <summary>
    /// First step of moving the partition to another silo (used by a drain): stops taking appends (they fail with a
    /// retryable <see cref="PartitionUnavailableException"/>), flushes, seals and archives every sealed segment.
    /// </summary>
    /// <exception cref="PartitionUnavailableException">The silo has no archive, or a sealed segment could not be archived (appends are taken again).</exception>
    [AlwaysInterleave]
    [Alias("PrepareHandover")]
    Task<HandoverReport> PrepareHandoverAsync();

    /// <summary>Undoes <see cref="PrepareHandoverAsync"/> when the move is abandoned: appends are taken again.</summary>
    [AlwaysInterleave]
    [Alias("CancelHandover")]
    Task CancelHandoverAsync();

    /// <summary>Last step of a move, once the ownership table names the new owner: closes the partition here and deactivates.</summary>
    /// <exception cref="InvalidOperationException"><see cref="PrepareHandoverAsync"/> was not called first.</exception>
    [Alias("CompleteHandover")]
    Task CompleteHandoverAsync();
}
