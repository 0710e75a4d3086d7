namespace OrleansAof.Storage.Offline;

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
