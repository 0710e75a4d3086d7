using OrleansAof.Server.Replication;

namespace OrleansAof.Server.Ownership;

/// <summary>The persisted state of <see cref="PartitionRecordGrain"/>.</summary>
[GenerateSerializer]
[Alias("aof.PartitionRecordState")]
internal sealed class PartitionRecordState
{
    [Id(0)]
    public long? IdBound { get; set; }

    /// <summary>A replicated partition's configuration (replica set, leader, epoch); null for a partition with one replica.</summary>
    [Id(1)]
    public ReplicationConfiguration? Replication { get; set; }

    /// <summary>
    /// Whether a leader of the replicated partition has served (its epoch start was committed on a majority): from then
    /// on a replica whose folder is missing has lost its volume; before, nothing was ever acknowledged and a missing
    /// folder is only a replica that was never written to.
    /// </summary>
    [Id(2)]
    public bool ReplicationEstablished { get; set; }
}
