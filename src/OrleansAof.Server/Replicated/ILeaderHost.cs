using OrleansAof.Server.Replication;

namespace OrleansAof.Server.Replicated;

/// <summary>What a <see cref="ReplicaNode"/> tells the leader that writes through it (called inside the node's gate).</summary>
internal interface ILeaderHost
{
    /// <summary>The local log was flushed: the leader's own durable end counts toward the commit point; acknowledge what it commits.</summary>
    void OnLocalFlush(List<Acknowledgement> acknowledged);
}
