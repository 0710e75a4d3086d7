namespace OrleansAof.Storage.Internal;

/// <summary>The catalog rows and ids a partition opens with, decided from the local files, the catalog and (when needed) the archive.</summary>
internal sealed class Reconciliation
{
    /// <summary>Every segment but the active one, by base id.</summary>
    public List<SegmentInfo> Rows { get; } = [];

    public long FirstId { get; set; }

    /// <summary>One past the last id held by sealed, evicted, missing and quarantined segments.</summary>
    public long NextId { get; set; }

    public string? Fault { get; set; }

    /// <summary>Disagreements that were resolved (or could not be), for the log and the catalog-rebuilt warning.</summary>
    public List<string> Findings { get; } = [];

    /// <summary>Whether the local files and the catalog leave ids unaccounted for that only the archive listing can explain.</summary>
    public bool NeedsListing { get; set; }

    /// <summary>
    /// The base id of the active segment the catalog records but whose file is gone, when that is so: its ids are unknown,
    /// so the partition opens faulted on a placeholder at that base and no id from it is handed out again.
    /// </summary>
    public long? LostActiveBaseId { get; set; }
}
