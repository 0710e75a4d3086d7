namespace OrleansAof.Storage;

/// <summary>A read starts below the partition's first id: the records were removed by retention. Resume from <see cref="FirstId"/>.</summary>
public sealed class RecordTrimmedException(long fromId, long firstId)
    : AppendLogException($"Id {fromId} was removed by retention; the first id still held is {firstId}.")
{
    /// <summary>The requested id.</summary>
    public long FromId { get; } = fromId;

    /// <summary>The first id the partition still holds.</summary>
    public long FirstId { get; } = firstId;
}
