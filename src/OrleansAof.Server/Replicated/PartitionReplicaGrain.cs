using Orleans.Concurrency;
using OrleansAof.Server.Ownership;
using OrleansAof.Server.Replication;

namespace OrleansAof.Server.Replicated;

/// <summary>
/// A follower's end of the replication transport (<see cref="IPartitionReplicaGrain"/>). Reentrant: batches of one leader
/// are pipelined and share the replica's group commit; each answer waits only for the flush it depends on.
/// </summary>
[SiloNamePlacement]
[Reentrant]
internal sealed class PartitionReplicaGrain(ReplicaNodes nodes, IGrainFactory grains) : Grain, IPartitionReplicaGrain
{
    private string _partitionKey = "";

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        _partitionKey = key[..key.IndexOf('@', StringComparison.Ordinal)];
        return Task.CompletedTask;
    }

    public async Task<AppendReply?> AppendAsync(string from, AppendRequest request) => await (await NodeAsync()).AppendAsync(from, request);

    public async Task<AppendReply?> InstallSegmentAsync(string from, InstallSegmentRequest request) => await (await NodeAsync()).InstallSegmentAsync(from, request);

    public async Task<FenceReply> FenceAsync(string from, FenceRequest request) => await (await NodeAsync()).FenceAsync(from, request);

    public async Task<ReadLogReply> ReadLogAsync(string from, ReadLogRequest request) => await (await NodeAsync()).ReadLogAsync(from, request);

    public async Task<ReplicaStatus> GetStatusAsync()
    {
        var node = await NodeAsync();
        return await node.RunAsync(static n => new ReplicaStatus(
            n.Replica.Name, n.Replica.Promise, n.Replica.Voter, n.Replica.Store.End.Id, n.Replica.Store.DurableEnd.Id, n.Replica.Commit.Id,
            [.. n.Log.GetInfo().Segments.Select(static s => s.BaseId)]));
    }

    private Task<ReplicaNode> NodeAsync()
        => nodes.GetAsync(_partitionKey, () => grains.GetGrain<IReplicationRecordGrain>(_partitionKey).GetLostVolumeEpochAsync());
}
