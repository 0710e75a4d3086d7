using System.Text;
using OrleansAof.Server.Ownership;
using OrleansAof.Server.Replicated;
using OrleansAof.Server.Replication;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Server.Tests.Replicated;

/// <summary>Helpers of the replicated-partition cluster tests: log names by leader, the record, replicas' disks.</summary>
internal static class ReplicatedClusterFacts
{
    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A fresh log name whose partition "0" ranks <paramref name="leader"/> first (so it leads epoch 1).</summary>
    public static string LogLedBy(ReplicatedCluster fixture, string leader, string prefix)
    {
        for (var i = 0; ; i++)
        {
            var log = $"{prefix}-{Guid.NewGuid():N}"[..24];
            if (PartitionOwnership.Rank(PartitionKey.Format(log, "0"), fixture.Owners, 3)[0] == leader)
            {
                return log;
            }
        }
    }

    public static Task<ReplicationConfiguration?> ConfigurationAsync(ReplicatedCluster fixture, string log) =>
        fixture.Client.GetGrain<IReplicationRecordGrain>(PartitionKey.Format(log, "0")).GetReplicationAsync();

    public static Task<ReplicaStatus> ReplicaStatusAsync(ReplicatedCluster fixture, string log, string silo) =>
        fixture.Client.GetGrain<IPartitionReplicaGrain>(ReplicatedPartition.ReplicaKey(PartitionKey.Format(log, "0"), silo)).GetStatusAsync();

    /// <summary>Every record of partition "0" of <paramref name="log"/> on <paramref name="silo"/>'s disk (the silo must be stopped).</summary>
    public static async Task<List<(long Id, string Payload)>> RecordsOnDiskAsync(ReplicatedCluster fixture, string silo, string log)
    {
        var options = new Storage.PartitionLogOptions
        {
            DataRoot = Path.Combine(fixture.Data.Path, silo),
            Preallocation = Storage.PreallocationMode.None,
            CreateIfMissing = false,
        };
        await using var store = await EngineReplicaLogStore.OpenAsync(log, "0", options);
        var records = new List<(long, string)>();
        var next = 0L;
        while (true)
        {
            var batch = await store.Partition.ReadAsync(next, 1000, Storage.PartitionLog.DefaultMaxReadBytes, includeUndurable: true);
            if (batch.Count == 0)
            {
                return records;
            }

            for (var i = 0; i < batch.Count; i++)
            {
                records.Add((batch[i].Id, Encoding.UTF8.GetString(batch[i].Payload.Span)));
            }

            next = batch.NextId;
        }
    }

    /// <summary>Appends until one is acknowledged (retrying the typed unavailability error), within <paramref name="timeout"/>.</summary>
    public static async Task<AppendAck> AppendWithRetriesAsync(IPartitionGrain grain, byte[] payload, ProducerStamp? stamp, TimeSpan timeout)
    {
        AppendAck? ack = null;
        Exception? last = null;
        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    ack = await grain.AppendAsync(payload, stamp: stamp);
                    return true;
                }
                catch (PartitionUnavailableException e)
                {
                    last = e;
                    return false;
                }
            },
            () => $"an append was acknowledged (last error: {last?.Message})",
            timeout);
        return ack!.Value;
    }
}
