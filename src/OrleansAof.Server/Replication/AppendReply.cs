namespace OrleansAof.Server.Replication;

/// <summary>
/// Follower to leader. Accepted: the follower's durable log matches the leader's through <paramref name="Matched"/>.
/// Refused: <paramref name="Reason"/>, the follower's <paramref name="Promise"/> and its log <paramref name="End"/> (a back-off hint).
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("aof.repl.AppendReply")]
internal sealed record AppendReply(long Epoch, [property: Id(0)] RefusalReason Reason, [property: Id(1)] LogPosition Matched, [property: Id(2)] LogPosition RefusedPrev, [property: Id(3)] LogPosition End, [property: Id(4)] long Promise, [property: Id(5)] long Incarnation)
    : ReplicationMessage(Epoch)
{
    public override string ToString()
        => Reason == RefusalReason.None
            ? $"AppendOk(e{Epoch} matched{Matched} inc{Incarnation})"
            : $"AppendRefused(e{Epoch} {Reason} prev{RefusedPrev} end{End} promise{Promise} inc{Incarnation})";
}
