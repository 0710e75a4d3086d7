namespace OrleansAof;

/// <summary>An append batch would not fit in one segment. Nothing was written; split the batch.</summary>
[GenerateSerializer]
[Alias("aof.BatchTooLargeException")]
public sealed class BatchTooLargeException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public BatchTooLargeException(int records, long bytes, string message)
        : base(message)
    {
        Records = records;
        Bytes = bytes;
    }

    /// <summary>Records in the rejected batch.</summary>
    [Id(0)]
    public int Records { get; private set; }

    /// <summary>Bytes the batch needs on disk, framing included.</summary>
    [Id(1)]
    public long Bytes { get; private set; }
}
