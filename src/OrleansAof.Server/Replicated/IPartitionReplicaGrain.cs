using OrleansAof.Server.Replication;

namespace OrleansAof.Server.Replicated;

/// <summary>
/// The transport of the replication protocol to one replica: keyed <c>{log}/{partition}@{silo}</c>, placed on that silo
/// only (<see cref="Ownership.SiloNamePlacement"/>), carrying the protocol's messages to the replica's
/// <see cref="ReplicaNode"/>. Every message may be lost, duplicated or reordered: the protocol tolerates it.
/// </summary>
[Alias("aof.IPartitionReplicaGrain")]
internal interface IPartitionReplicaGrain : IGrainWithStringKey
{
    /// <summary>A leader's batch; the reply comes after the flush that made it durable (null when the replica owes none).</summary>
    [Alias("Append")]
    Task<AppendReply?> AppendAsync(string from, AppendRequest request);

    /// <summary>A leader's whole sealed segment for a lagging replica (catch-up); answered like a batch, after the flush.</summary>
    [Alias("InstallSegment")]
    Task<AppendReply?> InstallSegmentAsync(string from, InstallSegmentRequest request);

    /// <summary>A candidate's fence.</summary>
    [Alias("Fence")]
    Task<FenceReply> FenceAsync(string from, FenceRequest request);

    /// <summary>A candidate's read of the log.</summary>
    [Alias("ReadLog")]
    Task<ReadLogReply> ReadLogAsync(string from, ReadLogRequest request);

    /// <summary>The replica's state, for <c>aof status</c> and tests.</summary>
    [Alias("Status")]
    Task<ReplicaStatus> GetStatusAsync();
}
