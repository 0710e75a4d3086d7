namespace OrleansAof;

/// <summary>
/// The partition cannot open: ids it may have acknowledged are held by no local file and no archived object (its volume
/// was lost, for example), and handing ids out again from the last one held would give new records the ids of lost ones.
/// Not retryable: an operator restores the data, or accepts the loss with <c>aof restore --skip-lost-ids</c>, which
/// leaves the ids <see cref="HeldThrough"/> + 1 .. <see cref="Bound"/> as an explicit gap.
/// </summary>
[GenerateSerializer]
[Alias("aof.PartitionDataLostException")]
public sealed class PartitionDataLostException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public PartitionDataLostException(string partition, long heldThrough, long bound, string message)
        : base(message)
    {
        Partition = partition;
        HeldThrough = heldThrough;
        Bound = bound;
    }

    /// <summary>The partition, <c>{log}/{partition}</c>.</summary>
    [Id(0)]
    public string Partition { get; private set; }

    /// <summary>The last id that local files and the archive hold (-1 when none).</summary>
    [Id(1)]
    public long HeldThrough { get; private set; }

    /// <summary>The recorded id bound: no id above it was ever handed out.</summary>
    [Id(2)]
    public long Bound { get; private set; }
}
