namespace OrleansAof.Storage;

/// <summary>
/// A read starts in ids that are lost: no local file and no archived object holds them (a file deleted from outside, or a
/// lost volume whose loss an operator accepted; see <see cref="SegmentStatus.Missing"/>). Resume from <see cref="NextId"/>.
/// A read that reaches such ids after returning records stops before them.
/// </summary>
public sealed class RecordsMissingException(long fromId, long firstMissingId, long lastMissingId)
    : AppendLogException($"Ids {firstMissingId}..{lastMissingId} are lost: no local file and no archived object holds them (see 'aof verify'). Reading continues at {lastMissingId + 1}.")
{
    /// <summary>The requested id.</summary>
    public long FromId { get; } = fromId;

    /// <summary>The first lost id of the range <see cref="FromId"/> lies in.</summary>
    public long FirstMissingId { get; } = firstMissingId;

    /// <summary>The last lost id of that range.</summary>
    public long LastMissingId { get; } = lastMissingId;

    /// <summary>The id to continue reading from.</summary>
    public long NextId => LastMissingId + 1;
}
