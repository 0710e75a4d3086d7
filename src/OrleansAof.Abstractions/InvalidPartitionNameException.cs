namespace OrleansAof;

/// <summary>A log or partition name is invalid (see <see cref="PartitionKey"/>). Nothing was done.</summary>
[GenerateSerializer]
[Alias("aof.InvalidPartitionNameException")]
public sealed class InvalidPartitionNameException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public InvalidPartitionNameException(string name, string reason)
        : base($"{PartitionKey.ForDisplay(name)} is not a valid log or partition name: {reason}.")
    {
        Name = PartitionKey.Shorten(name);
    }

    /// <summary>The rejected name, cut to <see cref="PartitionKey.MaxDisplayLength"/> characters.</summary>
    [Id(0)]
    public string Name { get; private set; }
}
