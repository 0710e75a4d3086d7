namespace OrleansAof.Cli.Cluster;

/// <summary>The JSON document of <c>read</c>, and of <c>tail</c> without <c>-f</c>.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="Format">How payloads are encoded.</param>
/// <param name="Backward">Whether the records are newest first.</param>
/// <param name="Records">The records in the order read.</param>
/// <param name="NextId">Where to continue: forward, the id after the last record; backward, the id below it (-1 at the start of the log).</param>
internal sealed record RecordsDocument(string Log, string Partition, PayloadFormat Format, bool Backward, IReadOnlyList<RecordDocument> Records, long NextId);
