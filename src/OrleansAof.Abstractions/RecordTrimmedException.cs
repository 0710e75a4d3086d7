namespace OrleansAof;

/// <summary>A read starts below the partition's first id: the records were removed by retention. Resume from <see cref="FirstId"/>.</summary>
[GenerateSerializer]
[Alias("aof.RecordTrimmedException")]
public sealed class RecordTrimmedException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public RecordTrimmedException(long fromId, long firstId, string message)
        : base(message)
    {
        FromId = fromId;
        FirstId = firstId;
    }

    /// <summary>The requested id.</summary>
    [Id(0)]
    public long FromId { get; private set; }

    /// <summary>The first id the partition still holds.</summary>
    [Id(1)]
    public long FirstId { get; private set; }
}
