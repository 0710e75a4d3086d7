namespace OrleansAof.Server.Replication;

/// <summary>What a replicated log entry is.</summary>
[GenerateSerializer]
[Alias("aof.repl.ReplicaEntryKind")]
internal enum ReplicaEntryKind
{
    /// <summary>A record appended by a client, at its id.</summary>
    Record,

    /// <summary>The first entry of a leader's epoch; committing it commits everything before it (no record, no new id).</summary>
    EpochStart,
}
