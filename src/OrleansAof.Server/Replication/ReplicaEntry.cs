namespace OrleansAof.Server.Replication;

/// <summary>One entry of a replicated log.</summary>
/// <param name="Position">Epoch of the leader that created it, and its id.</param>
/// <param name="Kind">Record or epoch start.</param>
/// <param name="Payload">The record's bytes (empty for an epoch start).</param>
/// <param name="StartsSegment">
/// The leader's rollover decision: this record is the first of a new segment. Replicas seal the segment before it once
/// the entry is committed, so segment boundaries agree on every replica.
/// </param>
[GenerateSerializer]
[Immutable]
[Alias("aof.repl.ReplicaEntry")]
internal sealed record ReplicaEntry(
    [property: Id(0)] LogPosition Position,
    [property: Id(1)] ReplicaEntryKind Kind,
    [property: Id(2)] ReadOnlyMemory<byte> Payload,
    [property: Id(3)] bool StartsSegment = false)
{
    public override string ToString()
        => Kind == ReplicaEntryKind.EpochStart ? $"start{Position}" : $"rec{Position}{(StartsSegment ? "|seg" : "")}";
}
