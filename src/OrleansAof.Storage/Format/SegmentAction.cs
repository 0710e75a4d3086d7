namespace OrleansAof.Storage.Format;

/// <summary>What recovery does with a segment file, decided by <see cref="SegmentClassifier"/>.</summary>
internal enum SegmentAction
{
    /// <summary>A valid footer seals it: open it from the footer.</summary>
    UseSealed,

    /// <summary>The last, unsealed segment: cut its torn tail (if any) back to <see cref="SegmentVerdict.Plan"/> and keep appending to it.</summary>
    KeepActive,

    /// <summary>An unsealed segment that is not the last (an interrupted rollover) and holds exactly the ids up to the next one: seal it.</summary>
    SealNow,

    /// <summary>The last file, all zeros (its header never reached the disk, so no catalog row names it): delete it.</summary>
    Delete,

    /// <summary>Damaged and not the last: move it to <c>quarantine/</c>; its ids are not served from this file.</summary>
    Quarantine,

    /// <summary>The last segment, damaged: keep it in place, serve its intact prefix and refuse appends until an operator decides.</summary>
    OpenFaulted,
}
