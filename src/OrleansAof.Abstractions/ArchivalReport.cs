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
