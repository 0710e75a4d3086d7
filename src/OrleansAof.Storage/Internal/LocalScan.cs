using OrleansAof.Storage.Format;

namespace OrleansAof.Storage.Internal;

/// <summary>What recovery found in a partition's <c>segments/</c> folder (after cutting torn tails and moving damaged files aside).</summary>
internal sealed class LocalScan
{
    public List<SealedSegment> Sealed { get; } = [];

    /// <summary>The unsealed last segment, kept open for appends; null when there is none.</summary>
    public ActiveSegment? Active { get; set; }

    /// <summary>Segments moved to <c>quarantine/</c> by this recovery.</summary>
    public List<SegmentInfo> Quarantined { get; } = [];

    /// <summary>Names of the files in <c>quarantine/</c> (before this recovery added any).</summary>
    public HashSet<string> QuarantineFolder { get; } = new(StringComparer.Ordinal);

    public Dictionary<long, ProducerEntry> Producers { get; set; } = [];

    public long MaxEpoch { get; set; }

    public string? Fault { get; set; }

    public int Discarded { get; set; }

    public long TornBytes { get; set; }

    public int FileCount { get; set; }
}
