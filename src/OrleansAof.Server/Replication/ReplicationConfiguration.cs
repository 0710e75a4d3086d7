using System.Collections.Immutable;

namespace OrleansAof.Server.Replication;

/// <summary>
/// A partition's replication configuration as the durable ownership table holds it: the replica set, the leader and the
/// epoch. It changes only by compare-and-swap on <see cref="Epoch"/>, so each epoch has exactly one leader.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("aof.repl.ReplicationConfiguration")]
internal sealed record ReplicationConfiguration([property: Id(0)] long Epoch, [property: Id(1)] string Leader, [property: Id(2)] ImmutableArray<string> Replicas)
{
    /// <summary>How many replicas make a majority.</summary>
    public int Majority => (Replicas.Length / 2) + 1;
}
