namespace OrleansAof.Server.Replication;

/// <summary>
/// Protections of the protocol that tests switch off to show the simulation finds the violation each one prevents.
/// Production code always uses <see cref="Default"/>.
/// </summary>
internal sealed record ReplicationSafety(bool Fencing = true, bool PrevMatch = true, bool CurrentEpochCommit = true)
{
    public static ReplicationSafety Default { get; } = new();
}
