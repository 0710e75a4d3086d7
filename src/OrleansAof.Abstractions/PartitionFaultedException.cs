namespace OrleansAof;

/// <summary>
/// The partition stopped after an I/O error (fail-stop) or found damage in its active segment. It refuses appends until
/// it is reopened (deactivate the grain or restart the silo) or repaired by an operator. In-flight appends were not acknowledged.
/// </summary>
[GenerateSerializer]
[Alias("aof.PartitionFaultedException")]
public sealed class PartitionFaultedException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public PartitionFaultedException(string reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>Why the partition stopped.</summary>
    [Id(0)]
    public string Reason { get; private set; }
}
