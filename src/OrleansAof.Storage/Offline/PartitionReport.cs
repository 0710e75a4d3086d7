namespace OrleansAof.Storage.Offline;

/// <summary>Everything the inspector found about one partition directory.</summary>
public sealed class PartitionReport
{
    /// <summary>The partition directory.</summary>
    public required string Path { get; init; }

    /// <summary>The log name (the parent folder's name).</summary>
    public required string Log { get; init; }

    /// <summary>The partition name (the folder's name).</summary>
    public required string Partition { get; init; }

    /// <summary>The overall state.</summary>
    public required PartitionHealth Health { get; init; }

    /// <summary>Whether a writer holds the partition's lock right now (then the active segment may change while it is read).</summary>
    public bool Locked { get; init; }

    /// <summary>The last writer epoch recorded in the <c>epoch</c> file (0 when there is none).</summary>
    public long WriterEpoch { get; init; }

    /// <summary>The first id still held by a local segment, when any.</summary>
    public long? FirstLocalId { get; init; }

    /// <summary>The last id held after recovery (what the next open would serve up to), when any segment is readable.</summary>
    public long? LastId { get; init; }

    /// <summary>Local segment files, by base id.</summary>
    public required IReadOnlyList<SegmentReport> Segments { get; init; }

    /// <summary>Segments evicted to the archive, from the catalog.</summary>
    public IReadOnlyList<EvictedSegment> Evicted { get; init; } = [];

    /// <summary>Files in <c>quarantine/</c>.</summary>
    public IReadOnlyList<QuarantinedFile> Quarantined { get; init; } = [];

    /// <summary>Catalog rows whose file is gone (see <see cref="CatalogOnlySegment"/>); any makes the partition <see cref="PartitionHealth.Damaged"/>.</summary>
    public IReadOnlyList<CatalogOnlySegment> WithoutFile { get; init; } = [];

    /// <summary>Gaps and overlaps between consecutive segments.</summary>
    public IReadOnlyList<ContinuityProblem> Continuity { get; init; } = [];

    /// <summary>Why the catalog could not be read, if it could not (it is a cache; the next open rebuilds it).</summary>
    public string? CatalogProblem { get; init; }

    /// <summary>Total bytes of the local segment files.</summary>
    public long TotalBytes { get; init; }

    /// <summary>Total records held by the local segments.</summary>
    public long TotalRecords { get; init; }
}
