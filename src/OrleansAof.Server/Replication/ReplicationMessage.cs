namespace OrleansAof.Server.Replication;

/// <summary>A message between replicas; every message names the epoch it belongs to.</summary>
internal abstract record ReplicationMessage(long Epoch);
