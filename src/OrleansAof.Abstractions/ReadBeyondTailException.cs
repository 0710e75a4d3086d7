namespace OrleansAof;

/// <summary>A read starts past the tail (greater than the next id). Reading exactly at the next id is allowed and returns nothing.</summary>
[GenerateSerializer]
[Alias("aof.ReadBeyondTailException")]
public sealed class ReadBeyondTailException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public ReadBeyondTailException(long fromId, long nextId, string message)
        : base(message)
    {
        FromId = fromId;
        NextId = nextId;
    }

    /// <summary>The requested id.</summary>
    [Id(0)]
    public long FromId { get; private set; }

    /// <summary>The next id the partition will assign.</summary>
    [Id(1)]
    public long NextId { get; private set; }
}
