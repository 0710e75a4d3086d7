using OrleansAof.Server.Ownership;
using OrleansAof.Server.Replicated;

namespace OrleansAof.Server;

/// <summary>
/// The partition grain of a replicated partition (<see cref="AppendLogOptions.ReplicationFactor"/> above 1): its
/// activation is the partition's leader. It opens the local replica, fails over to a new epoch that names this silo
/// (<see cref="ReplicatedPartition.StartAsync"/>), and then answers appends once a majority holds them and reads up to
/// the commit point. A partition with one replica never reaches this file.
/// </summary>
internal sealed partial class PartitionGrain
{
    private ReplicatedPartition? _replicated;

    private async Task ActivateReplicatedAsync(CancellationToken cancellationToken)
    {
        var record = GrainFactory.GetGrain<IReplicationRecordGrain>(_key);
        var node = await _replicaNodes.GetAsync(_key, () => record.GetLostVolumeEpochAsync());
        _replicated = await ReplicatedPartition.StartAsync(_key, node, GrainFactory, _options, _time, _logger, cancellationToken);
        _instruments.Activation();
        LogActivated(_logger, _key, _siloName, _replicated.Configuration.Epoch, _replicated.VisibleThroughId);
    }

    private async Task<AppendAck> AppendReplicatedAsync(ReplicatedPartition replicated, ReadOnlyMemory<byte>[] payloads, long? expectedLastId, ProducerStamp? stamp)
    {
        _instruments.AppendCall();
        using var activity = StartAppendSpan(payloads.Length, payloads.Length == 1 ? payloads[0].Length : 0);
        try
        {
            var ack = await replicated.AppendAsync(payloads, expectedLastId, stamp);
            AppendLogTelemetry.Acked(activity, ack);
            return ack;
        }
        catch (Exception e)
        {
            AppendLogTelemetry.Failed(activity, e);
            throw;
        }
    }

    /// <summary>A forward read that shows only committed records (ids up to the commit point).</summary>
    private static async Task<LogRecordBatch> ReadReplicatedAsync(ReplicatedPartition replicated, long fromId, int maxRecords, long maxBytes)
    {
        var visible = replicated.VisibleThroughId;
        if (fromId > visible && fromId >= 0)
        {
            return new LogRecordBatch([], [], fromId);
        }

        var count = (int)Math.Min(maxRecords, visible - Math.Max(fromId, 0) + 1);
        return ToContract(await replicated.Log.ReadAsync(fromId, count, maxBytes, includeUndurable: true));
    }

    private PartitionStatus ReplicatedStatus(ReplicatedPartition replicated)
    {
        var info = replicated.Log.GetInfo();
        var segments = new SegmentSummary[info.Segments.Count];
        for (var i = 0; i < segments.Length; i++)
        {
            segments[i] = ToContract(info.Segments[i]);
        }

        var visible = replicated.VisibleThroughId;
        return new PartitionStatus(
            info.Log, info.Partition, info.State.ToString(), info.FaultReason, info.FirstId, visible, visible, replicated.Configuration.Epoch,
            EngineErrors.ToContract(info.FlushPolicy), _siloName, segments, ArchiveStatus(0, 0));
    }

    /// <summary>Refuses what a replicated partition does not offer yet (docs/replication.md, "Status").</summary>
    private void ThrowIfReplicated(string operation)
    {
        if (_replicated is not null)
        {
            throw new NotSupportedException($"{operation} is not supported on a replicated partition ('{_key}', AppendLogOptions.ReplicationFactor above 1) yet.");
        }
    }
}
