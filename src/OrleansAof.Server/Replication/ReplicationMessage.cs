namespace OrleansAof.Server.Replication;

/// <summary>A message between replicas; every message names the epoch it belongs to.</summary>
[GenerateSerializer]
[Immutable]
[Alias("aof.repl.ReplicationMessage")]
internal abstract record ReplicationMessage([property: Id(0)] long Epoch);
