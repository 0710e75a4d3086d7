using OrleansAof.Server.Replication;

namespace OrleansAof.Server.Ownership;

/// <summary>
/// The configuration authority of a replicated partition (docs/replication.md, "The configuration record"): its
/// <see cref="ReplicationConfiguration"/> in the partition's durable record (<see cref="PartitionRecordGrain"/>, the
/// ownership storage with ETag), changed only by compare-and-swap on the epoch. Keyed <c>{log}/{partition}</c>.
/// </summary>
[Alias("aof.IReplicationRecordGrain")]
internal interface IReplicationRecordGrain : IGrainWithStringKey
{
    /// <summary>The stored configuration; when none is stored yet, stores <paramref name="initial"/> first (durably) and returns it.</summary>
    [Alias("GetOrCreate")]
    Task<ReplicationConfiguration> GetOrCreateReplicationAsync(ReplicationConfiguration initial);

    /// <summary>The stored configuration, or null when the partition has none yet.</summary>
    [Alias("Get")]
    Task<ReplicationConfiguration?> GetReplicationAsync();

    /// <summary>
    /// Stores <paramref name="next"/> (durably) only when the stored epoch is still <paramref name="expectedEpoch"/> and
    /// <paramref name="next"/>'s epoch is higher; returns whether it did.
    /// </summary>
    [Alias("CompareAndSwap")]
    Task<bool> TryCompareAndSwapReplicationAsync(long expectedEpoch, ReplicationConfiguration next);

    /// <summary>Records (durably, once) that a leader served: a replica found without its folder from then on lost its volume.</summary>
    [Alias("MarkEstablished")]
    Task MarkEstablishedAsync();

    /// <summary>
    /// The epoch a replica whose folder is missing must promise as a lost volume (docs/replication.md, "Lost volumes"),
    /// or 0 when no leader has served yet (the replica is simply new).
    /// </summary>
    [Alias("LostVolumeEpoch")]
    Task<long> GetLostVolumeEpochAsync();
}
