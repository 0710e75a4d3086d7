namespace OrleansAof.Storage;

/// <summary>
/// The partition does not exist and <see cref="PartitionLogOptions.CreateIfMissing"/> is off: its folder is absent, no
/// id bound is recorded for it and the archive holds nothing of it. Nothing was created.
/// </summary>
public sealed class PartitionNotFoundException(string log, string partition)
    : AppendLogException($"Partition {log}/{partition} does not exist: nothing was ever appended to it. Nothing was created.")
{
    /// <summary>The log.</summary>
    public string Log { get; } = log;

    /// <summary>The partition.</summary>
    public string Partition { get; } = partition;
}
