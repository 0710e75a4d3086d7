namespace OrleansAof.Storage;

/// <summary>
/// A log or partition name is not valid: empty, longer than 128 characters, <c>.</c> or <c>..</c>, or with characters
/// outside <c>[A-Za-z0-9._-]</c> (the same rule for partition directories and archive keys). Nothing was done.
/// </summary>
public sealed class InvalidPartitionNameException(string name, string reason)
    : AppendLogException($"{PartitionNames.Quote(name)} is not a valid log or partition name: {reason}.")
{
    /// <summary>The rejected name, cut to 128 characters.</summary>
    public string Name { get; } = PartitionNames.Shorten(name);

    /// <summary>Why it is not valid.</summary>
    public string Reason { get; } = reason;
}
