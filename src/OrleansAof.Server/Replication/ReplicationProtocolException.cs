namespace OrleansAof.Server.Replication;

/// <summary>A replica was asked to do something the protocol forbids (a bug, or a protection switched off in a test); fail-stop.</summary>
internal sealed class ReplicationProtocolException(string message) : InvalidOperationException(message);
