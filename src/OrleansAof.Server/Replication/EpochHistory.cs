namespace OrleansAof.Server.Replication;

/// <summary>The epoch history as stored: the marks, and the cut a truncation decided but may not have finished.</summary>
internal sealed record EpochHistory(IReadOnlyList<EpochMark> Marks, LogPosition? CutAfter);
