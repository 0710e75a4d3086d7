namespace OrleansAof.Storage.Offline;

/// <summary>What an offline look at one segment file found.</summary>
public enum SegmentCondition
{
    /// <summary>A valid footer seals the file (with <see cref="InspectionOptions.Verify"/>: every checksum checked out too).</summary>
    Sealed,

    /// <summary>The last, unsealed segment; its data ends cleanly and recovery would cut nothing.</summary>
    Active,

    /// <summary>An unsealed segment that is not the last one (an interrupted rollover); the next open seals it. Nothing to cut.</summary>
    Unsealed,

    /// <summary>An unsealed segment with no records and nothing to cut, or a zero-filled file whose header never reached the disk.</summary>
    Empty,

    /// <summary>
    /// An unsealed segment whose tail recovery would cut back (see <see cref="SegmentReport.TornTail"/>): bytes of an
    /// interrupted write, or records that were never acknowledged. Normal after a crash; not damage.
    /// </summary>
    TornTail,

    /// <summary>
    /// Data that was once durable fails its checks (see <see cref="SegmentReport.Damage"/>). Recovery never skips it
    /// silently: a damaged sealed segment is quarantined, a damaged active segment faults the partition.
    /// </summary>
    Damaged,

    /// <summary>The segment header is unreadable or names another base id than the file name; recovery quarantines the file.</summary>
    HeaderDamaged,
}

/// <summary>The overall state of a partition.</summary>
public enum PartitionHealth
{
    /// <summary>Nothing for recovery or an operator to do.</summary>
    Clean,

    /// <summary>Only torn tails: the next open (or <c>aof repair --truncate-torn-tail</c>) cuts them back. No acknowledged record is lost.</summary>
    TornTail,

    /// <summary>Damage, a damaged header or an id gap or overlap between segments: an operator has to decide.</summary>
    Damaged,
}

/// <summary>Kinds of continuity problem between consecutive segments.</summary>
public enum ContinuityKind
{
    /// <summary>Ids are missing between two segments.</summary>
    Gap,

    /// <summary>A segment starts at or before the last id of the segment before it.</summary>
    Overlap,
}

/// <summary>A flush checkpoint found in a segment.</summary>
/// <param name="Offset">File offset of the checkpoint (the end of the data it covers).</param>
/// <param name="LastId">Last record id it covers.</param>
/// <param name="RecordCount">Records of the segment it covers.</param>
/// <param name="WrittenAt">When it was written.</param>
public sealed record CheckpointSummary(long Offset, long LastId, long RecordCount, DateTimeOffset WrittenAt);

/// <summary>What recovery would cut from the tail of an unsealed segment (<see cref="Format.RecoveryPlan"/>).</summary>
/// <param name="KeepEnd">Offset after which everything is zeroed.</param>
/// <param name="KeepRecords">Records kept.</param>
/// <param name="LastKeptId">Last id kept (base id - 1 when none).</param>
/// <param name="DiscardedRecords">Intact records discarded because they were never acknowledged (no checkpoint covers them and they were written under <c>Sync</c>, or their batch is incomplete).</param>
/// <param name="FirstDiscardedId">First discarded id, when records are discarded.</param>
/// <param name="LastDiscardedId">Last discarded id, when records are discarded.</param>
/// <param name="ZeroedBytes">Bytes from <paramref name="KeepEnd"/> to the last non-zero byte: what is overwritten with zeros.</param>
public sealed record TailCut(long KeepEnd, int KeepRecords, long LastKeptId, int DiscardedRecords, long? FirstDiscardedId, long? LastDiscardedId, long ZeroedBytes);

/// <summary>Damage found in a segment.</summary>
/// <param name="Offset">File offset of the first byte that fails its checks.</param>
/// <param name="Detail">What is wrong there.</param>
/// <param name="Proof">Why this is damage and not a torn tail: a later valid checkpoint, or the seal's metadata.</param>
/// <param name="ProofCheckpointOffset">Offset of the later valid checkpoint that proves the data was durable (unsealed segments).</param>
/// <param name="DeclaredLastId">The last id that the proof declares durable.</param>
/// <param name="Cut">For an unsealed segment: what <c>aof repair --cut-at-damage</c> keeps (everything after <see cref="TailCut.KeepEnd"/> is dropped).</param>
/// <param name="LostFirstId">First id that cutting at the damage loses.</param>
/// <param name="LostLastId">Last id known to be lost: the highest id of any intact record or checkpoint after the damage.</param>
public sealed record SegmentDamage(long Offset, string Detail, string Proof, long? ProofCheckpointOffset, long? DeclaredLastId, TailCut? Cut, long? LostFirstId, long? LostLastId)
{
    /// <summary>How many ids cutting at the damage loses (at least; 0 when not applicable).</summary>
    public long LostIds => LostFirstId is { } first && LostLastId is { } last && last >= first ? last - first + 1 : 0;
}

/// <summary>Ids that do not line up between two consecutive segments.</summary>
/// <param name="Kind">Gap or overlap.</param>
/// <param name="ExpectedId">The id the segment should start at (one past the previous segment's last id).</param>
/// <param name="FoundBaseId">The base id it starts at.</param>
/// <param name="FileName">The segment's file name.</param>
/// <param name="Quarantined">Whether the missing ids belong to segments an operator or recovery quarantined (a known, recorded loss).</param>
public sealed record ContinuityProblem(ContinuityKind Kind, long ExpectedId, long FoundBaseId, string FileName, bool Quarantined);

/// <summary>A file in the partition's <c>quarantine/</c> folder.</summary>
/// <param name="FileName">File name.</param>
/// <param name="BaseId">Base id parsed from the name, when it is a segment name.</param>
/// <param name="SizeBytes">Size.</param>
/// <param name="InCatalog">Whether the catalog records it as quarantined.</param>
public sealed record QuarantinedFile(string FileName, long? BaseId, long SizeBytes, bool InCatalog);

/// <summary>A segment that is no longer local: evicted to the archive (from the catalog).</summary>
/// <param name="BaseId">First id.</param>
/// <param name="LastId">Last id.</param>
/// <param name="ArchiveKey">Key in the archive.</param>
public sealed record EvictedSegment(long BaseId, long LastId, string? ArchiveKey);

/// <summary>A catalog row whose ids no local segment file holds, although the catalog does not say they live only in the archive.</summary>
/// <param name="BaseId">Its first id.</param>
/// <param name="LastId">Its last id.</param>
/// <param name="Status">Its catalog status (<c>Sealed</c>, <c>Archiving</c>, <c>Archived</c> or <c>Missing</c>).</param>
/// <param name="FileName">The file the row names.</param>
/// <param name="Consequence">What the next open does about it, and whether records are lost.</param>
public sealed record CatalogOnlySegment(long BaseId, long LastId, string Status, string FileName, string Consequence);

/// <summary>Everything the inspector found about one segment file.</summary>
public sealed record SegmentReport
{
    /// <summary>File name.</summary>
    public required string FileName { get; init; }

    /// <summary>Full path.</summary>
    public required string Path { get; init; }

    /// <summary>Base id from the file name.</summary>
    public required long BaseId { get; init; }

    /// <summary>Whether this is the last (newest) segment of its partition: the active one when unsealed.</summary>
    public required bool IsLast { get; init; }

    /// <summary>The condition.</summary>
    public required SegmentCondition Condition { get; init; }

    /// <summary>A sentence for people: why the condition is what it is.</summary>
    public string? Detail { get; init; }

    /// <summary>Last id held (base id - 1 when empty; for a torn tail: after recovery's cut; for damage: before the damage).</summary>
    public long LastId { get; init; }

    /// <summary>Records held (after recovery's cut for a torn tail; before the damage for damage).</summary>
    public long RecordCount { get; init; }

    /// <summary>File size in bytes.</summary>
    public long FileSize { get; init; }

    /// <summary>Offset just past the data (records and checkpoints); for unsealed segments, past the last valid frame.</summary>
    public long DataEnd { get; init; }

    /// <summary>Writer epoch in the header.</summary>
    public long? WriterEpoch { get; init; }

    /// <summary>Creation time from the header.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Seal time from the metadata.</summary>
    public DateTimeOffset? SealedAt { get; init; }

    /// <summary>Timestamp of the first record.</summary>
    public DateTimeOffset? FirstRecordAt { get; init; }

    /// <summary>Timestamp of the last record.</summary>
    public DateTimeOffset? LastRecordAt { get; init; }

    /// <summary>Valid checkpoints found (counted only when the records were scanned).</summary>
    public int CheckpointCount { get; init; }

    /// <summary>The newest valid checkpoint, when the records were scanned.</summary>
    public CheckpointSummary? LastCheckpoint { get; init; }

    /// <summary>Producer stamps (idempotent batches) found in the data, when the records were scanned.</summary>
    public int ProducerStamps { get; init; }

    /// <summary>Entries of the producer table of a sealed segment.</summary>
    public int? ProducerTableEntries { get; init; }

    /// <summary>Why there is no valid footer, for an unsealed file.</summary>
    public string? FooterError { get; init; }

    /// <summary>Whether the records were scanned and checked (always for unsealed files; for sealed ones only when verifying).</summary>
    public bool Scanned { get; init; }

    /// <summary>For <see cref="SegmentCondition.TornTail"/>: what recovery would cut.</summary>
    public TailCut? TornTail { get; init; }

    /// <summary>For <see cref="SegmentCondition.Damaged"/>: where and why.</summary>
    public SegmentDamage? Damage { get; init; }

    /// <summary>Every check that failed when verifying (empty when clean).</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];
}

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

/// <summary>The result of <see cref="PartitionInspector.Inspect"/>.</summary>
public sealed class InspectionReport
{
    /// <summary>The path that was inspected.</summary>
    public required string Path { get; init; }

    /// <summary>Whether every checksum was verified (<see cref="InspectionOptions.Verify"/>).</summary>
    public required bool Verified { get; init; }

    /// <summary>The partitions found.</summary>
    public required IReadOnlyList<PartitionReport> Partitions { get; init; }

    /// <summary>The worst health of any partition (<see cref="PartitionHealth.Clean"/> when there is none).</summary>
    public PartitionHealth Health
    {
        get
        {
            var worst = PartitionHealth.Clean;
            foreach (var p in Partitions)
            {
                if (p.Health > worst)
                {
                    worst = p.Health;
                }
            }

            return worst;
        }
    }

    /// <summary>Bytes of segment data read.</summary>
    public long BytesRead { get; init; }
}

/// <summary>Progress of an inspection: bytes of segment files read so far and in total.</summary>
/// <param name="BytesDone">Bytes done.</param>
/// <param name="BytesTotal">Bytes to read in total.</param>
/// <param name="CurrentFile">The file being read, when any.</param>
public readonly record struct InspectionProgress(long BytesDone, long BytesTotal, string? CurrentFile);

/// <summary>Options of <see cref="PartitionInspector"/> and <see cref="PartitionRepair"/>.</summary>
public sealed class InspectionOptions
{
    /// <summary>
    /// Check every checksum, also of sealed segments: a full forward scan, the rolling checksum against the metadata, the
    /// index entries against the scanned offsets and a backward scan through the trailers. Default false: sealed segments
    /// are read from their footers, as an open does.
    /// </summary>
    public bool Verify { get; set; }

    /// <summary>
    /// The largest plausible payload; a record header claiming more is treated as invalid, as recovery does with
    /// <see cref="PartitionLogOptions.MaxRecordBytes"/>. Default 1 MiB (the engine's default); set it to the partition's
    /// value when that was raised.
    /// </summary>
    public int MaxRecordBytes { get; set; } = 1024 * 1024;
}
