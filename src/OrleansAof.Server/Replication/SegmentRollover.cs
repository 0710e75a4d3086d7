namespace OrleansAof.Server.Replication;

/// <summary>What a leader's log store says about the next record and its active segment (docs/replication.md, "Segment seal as a replicated event").</summary>
internal enum SegmentRollover
{
    /// <summary>The record fits the active segment, which is young enough: no new segment.</summary>
    None,

    /// <summary>The record fits, but the active segment is past the age limit: start a new segment when the leader may.</summary>
    Wanted,

    /// <summary>The record does not fit the active segment on every replica: it must start a new segment.</summary>
    Required,
}
