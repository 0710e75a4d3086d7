namespace OrleansAof;

/// <summary>
/// A read starts in ids that are lost: no local file and no archived object holds them (see the partition's <c>Missing</c>
/// segments in <c>aof status</c>). Not retryable; resume reading from <see cref="NextId"/>. A read that reaches such ids
/// after returning records stops before them, so a tail sees this exception exactly at the gap.
/// </summary>
[GenerateSerializer]
[Alias("aof.RecordsMissingException")]
public sealed class RecordsMissingException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public RecordsMissingException(long fromId, long firstMissingId, long lastMissingId, string message)
        : base(message)
    {
        FromId = fromId;
        FirstMissingId = firstMissingId;
        LastMissingId = lastMissingId;
    }

    /// <summary>The requested id.</summary>
    [Id(0)]
    public long FromId { get; private set; }

    /// <summary>The first lost id.</summary>
    [Id(1)]
    public long FirstMissingId { get; private set; }

    /// <summary>The last lost id.</summary>
    [Id(2)]
    public long LastMissingId { get; private set; }

    /// <summary>The id to continue reading from.</summary>
    public long NextId => LastMissingId + 1;
}
