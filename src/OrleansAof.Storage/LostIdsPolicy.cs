namespace OrleansAof.Storage;

/// <summary>What an open does when ids up to the recorded id bound may have been acknowledged but no file holds them.</summary>
public enum LostIdsPolicy
{
    /// <summary>Refuse to open with <see cref="PartitionDataLostException"/>: an operator decides. The default.</summary>
    Refuse,

    /// <summary>
    /// Record the ids from the first one no file holds through the bound as <see cref="SegmentStatus.Missing"/> (an
    /// explicit, visible gap; reads of them fail) and continue after the bound. An operator's decision after a lost
    /// volume (<c>aof restore --skip-lost-ids</c>); it is remembered by the partition until the open that applies it.
    /// </summary>
    SkipPastBound,
}
