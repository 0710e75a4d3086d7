namespace OrleansAof.Storage;

/// <summary>The lifecycle of a segment, as kept in the catalog.</summary>
public enum SegmentStatus
{
    /// <summary>The segment being appended to.</summary>
    Active = 0,

    /// <summary>Sealed (footer written), held locally, not yet archived.</summary>
    Sealed = 1,

    /// <summary>An upload to the archive is in progress.</summary>
    Archiving = 2,

    /// <summary>Stored and verified in the archive; the local file is still present.</summary>
    Archived = 3,

    /// <summary>Stored in the archive; the local file was removed by retention. Reads fetch it from the archive.</summary>
    LocalEvicted = 4,

    /// <summary>Damaged; moved aside for an operator. Its records are not served.</summary>
    Quarantined = 5,

    /// <summary>
    /// Ids the partition once held that no local file, quarantined file or archived object holds any more (a file deleted
    /// from outside, a lost volume): they are never handed out again and reads of them fail with
    /// <see cref="SegmentCorruptedException"/>. An operator finding, reported by <c>aof verify</c> and <c>aof inspect</c>.
    /// </summary>
    Missing = 6,
}
