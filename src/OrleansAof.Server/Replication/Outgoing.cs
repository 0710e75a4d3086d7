namespace OrleansAof.Server.Replication;

/// <summary>Something a state machine wants sent to <paramref name="To"/>.</summary>
internal readonly record struct Outgoing(string To, ReplicationMessage Message);
