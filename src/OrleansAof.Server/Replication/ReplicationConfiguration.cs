using System.Collections.Immutable;

namespace OrleansAof.Server.Replication;

/// <summary>
/// A partition's replication configuration as the durable ownership table holds it: the replica set, the leader and the
/// epoch. It changes only by compare-and-swap on <see cref="Epoch"/>, so each epoch has exactly one leader.
/// </summary>
internal sealed record ReplicationConfiguration(long Epoch, string Leader, ImmutableArray<string> Replicas)
{
    /// <summary>How many replicas make a majority.</summary>
    public int Majority => (Replicas.Length / 2) + 1;
}
