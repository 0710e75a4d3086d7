namespace OrleansAof.Server.Replication;

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
