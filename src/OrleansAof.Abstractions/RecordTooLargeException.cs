namespace OrleansAof;

/// <summary>A record is larger than the configured maximum. Nothing was written; split the record or raise <c>AppendLogOptions.MaxRecordBytes</c>.</summary>
[GenerateSerializer]
[Alias("aof.RecordTooLargeException")]
public sealed class RecordTooLargeException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public RecordTooLargeException(int size, int maximum, string message)
        : base(message)
    {
        Size = size;
        Maximum = maximum;
    }

    /// <summary>The size of the rejected record.</summary>
    [Id(0)]
    public int Size { get; private set; }

    /// <summary>The configured maximum.</summary>
    [Id(1)]
    public int Maximum { get; private set; }
}
