namespace OrleansAof;

/// <summary>An append carried an expected last id that is not the partition's last id. Nothing was written; <see cref="ActualLastId"/> says where the partition is.</summary>
[GenerateSerializer]
[Alias("aof.ExpectedLastIdMismatchException")]
public sealed class ExpectedLastIdMismatchException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public ExpectedLastIdMismatchException(long expectedLastId, long actualLastId, string message)
        : base(message)
    {
        ExpectedLastId = expectedLastId;
        ActualLastId = actualLastId;
    }

    /// <summary>The id the caller expected.</summary>
    [Id(0)]
    public long ExpectedLastId { get; private set; }

    /// <summary>The partition's actual last id (-1 when it is empty).</summary>
    [Id(1)]
    public long ActualLastId { get; private set; }
}
