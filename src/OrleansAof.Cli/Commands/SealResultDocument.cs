namespace OrleansAof.Cli.Commands;

/// <summary>The JSON document of <c>aof seal</c>.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="Sealed">The segment sealed, or null when the active segment was empty.</param>
internal sealed record SealResultDocument(string Log, string Partition, SegmentSummary? Sealed);
