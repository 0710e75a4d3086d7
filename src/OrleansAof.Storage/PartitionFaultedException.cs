namespace OrleansAof.Storage;

/// <summary>
/// The partition stopped after an I/O error (fail-stop) or found damage in its active segment. It refuses appends
/// until it is closed and reopened (recovered) or repaired by an operator. Appends that were in flight are not acknowledged.
/// </summary>
public sealed class PartitionFaultedException(string partition, string reason, Exception? inner = null)
    : AppendLogException($"Partition '{partition}' is faulted and refuses appends until it is reopened: {reason}", inner)
{
    /// <summary>Why the partition stopped.</summary>
    public string Reason { get; } = reason;
}
