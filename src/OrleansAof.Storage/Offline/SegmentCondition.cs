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
