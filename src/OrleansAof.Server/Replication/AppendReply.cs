namespace OrleansAof.Server.Replication;

/// <summary>
/// Follower to leader. Accepted: the follower's durable log matches the leader's through <paramref name="Matched"/>.
/// Refused: <paramref name="Reason"/>, the follower's <paramref name="Promise"/> and its log <paramref name="End"/> (a back-off hint).
/// </summary>
internal sealed record AppendReply(long Epoch, RefusalReason Reason, LogPosition Matched, LogPosition RefusedPrev, LogPosition End, long Promise, long Incarnation)
    : ReplicationMessage(Epoch)
{
    public override string ToString()
        => Reason == RefusalReason.None
            ? $"AppendOk(e{Epoch} matched{Matched} inc{Incarnation})"
            : $"AppendRefused(e{Epoch} {Reason} prev{RefusedPrev} end{End} promise{Promise} inc{Incarnation})";
}
