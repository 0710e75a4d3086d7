namespace OrleansAof.Storage;

/// <summary>
/// A read starts past the tail: <see cref="FromId"/> is greater than the next id to be written.
/// Reading exactly at the next id is allowed and returns nothing (that is how a tail is polled).
/// </summary>
public sealed class ReadBeyondTailException(long fromId, long nextId)
    : AppendLogException($"Id {fromId} is beyond the tail; the next id to be written is {nextId}.")
{
    /// <summary>The requested id.</summary>
    public long FromId { get; } = fromId;

    /// <summary>The next id the partition will assign.</summary>
    public long NextId { get; } = nextId;
}
