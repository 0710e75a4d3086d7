namespace OrleansAof.Server.Replication;

/// <summary>
/// Leader to a lagging follower: install the sealed segment <paramref name="Segment"/>, whose entries follow
/// <paramref name="Prev"/> (catch-up by segments instead of entry batches; docs/replication.md, "Catch-up"). Answered, like an
/// <see cref="AppendRequest"/>, by an <see cref="AppendReply"/> after the follower's next flush.
/// </summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="Prev">The position of the leader's entry just before the segment's entries.</param>
/// <param name="Segment">The segment and the epochs of its entries.</param>
/// <param name="Commit">The leader's commit point.</param>
/// <param name="CommitComplete">Whether the leader's epoch start is committed (see <see cref="AppendRequest"/>).</param>
/// <param name="ForIncarnation">The follower incarnation the leader last heard from.</param>
internal sealed record InstallSegmentRequest(long Epoch, LogPosition Prev, SegmentTransfer Segment, LogPosition Commit, bool CommitComplete, long ForIncarnation)
    : ReplicationMessage(Epoch)
{
    public override string ToString()
        => $"Install(e{Epoch} prev{Prev} {Segment} last{Segment.Last} commit{Commit}{(CommitComplete ? "" : "?")} inc{ForIncarnation})";
}
