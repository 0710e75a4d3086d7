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

/// <summary>The configuration authority (the ownership table, on the cluster's grain storage with ETag compare-and-swap).</summary>
internal interface IReplicationConfigurationStore
{
    /// <summary>The current configuration.</summary>
    ReplicationConfiguration Read();

    /// <summary>
    /// Replaces the configuration with <paramref name="next"/> only when its epoch is still <paramref name="expectedEpoch"/>
    /// and <paramref name="next"/>'s epoch is higher; returns whether it did.
    /// </summary>
    bool TryCompareAndSwap(long expectedEpoch, ReplicationConfiguration next);
}
