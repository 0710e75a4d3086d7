namespace OrleansAof.Storage;

/// <summary>
/// An offline repair (<see cref="Offline.PartitionRepair"/>) was refused because the partition is not in a state the
/// repair applies to, or because it would lose data it must not. Nothing was changed; the message says why and what to do.
/// </summary>
public sealed class RepairRefusedException(string message) : AppendLogException(message);
