namespace OrleansAof.Storage.Offline;

/// <summary>Kinds of continuity problem between consecutive segments.</summary>
public enum ContinuityKind
{
    /// <summary>Ids are missing between two segments.</summary>
    Gap,

    /// <summary>A segment starts at or before the last id of the segment before it.</summary>
    Overlap,
}
