namespace OrleansAof.Server.Replicated;

/// <summary>One replica's state as it reports it.</summary>
/// <param name="Silo">The replica's silo.</param>
/// <param name="Promise">The highest epoch it promised (it refuses every lower one).</param>
/// <param name="Voter">Whether it may help elect a leader (false after a lost volume until it caught up).</param>
/// <param name="LastId">The last record id in its log.</param>
/// <param name="DurableId">The last record id durable in its log.</param>
/// <param name="CommitId">The id of the commit point it knows.</param>
/// <param name="SegmentBaseIds">The base id of each of its segments, oldest first.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.ReplicaStatus")]
internal sealed record ReplicaStatus(
    [property: Id(0)] string Silo,
    [property: Id(1)] long Promise,
    [property: Id(2)] bool Voter,
    [property: Id(3)] long LastId,
    [property: Id(4)] long DurableId,
    [property: Id(5)] long CommitId,
    [property: Id(6)] long[] SegmentBaseIds);
