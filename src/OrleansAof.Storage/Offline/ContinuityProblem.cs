namespace OrleansAof.Storage.Offline;

/// <summary>Ids that do not line up between two consecutive segments.</summary>
/// <param name="Kind">Gap or overlap.</param>
/// <param name="ExpectedId">The id the segment should start at (one past the previous segment's last id).</param>
/// <param name="FoundBaseId">The base id it starts at.</param>
/// <param name="FileName">The segment's file name.</param>
/// <param name="Quarantined">Whether the missing ids belong to segments an operator or recovery quarantined (a known, recorded loss).</param>
public sealed record ContinuityProblem(ContinuityKind Kind, long ExpectedId, long FoundBaseId, string FileName, bool Quarantined);
