namespace OrleansAof.Server.Replication;

/// <summary>Why a replica refused a request.</summary>
internal enum RefusalReason
{
    /// <summary>Accepted.</summary>
    None,

    /// <summary>The request's epoch is lower than the replica's promise: the sender is deposed.</summary>
    StaleEpoch,

    /// <summary>The replica's log has no entry at the request's previous position: the leader backs off and resends.</summary>
    PrevMismatch,

    /// <summary>The replica lost its volume and has not caught up: it may not help choose a new leader's log.</summary>
    NotVoter,
}

/// <summary>A message between replicas; every message names the epoch it belongs to.</summary>
internal abstract record ReplicationMessage(long Epoch);

/// <summary>Leader to follower: append <paramref name="Entries"/> after <paramref name="Prev"/>; the leader's commit point travels along.</summary>
/// <param name="Epoch">The leader's epoch.</param>
/// <param name="Prev">The position of the leader's entry just before the first of <paramref name="Entries"/>.</param>
/// <param name="Entries">Consecutive entries of the leader's log (may be empty: a heartbeat that carries the commit point).</param>
/// <param name="Commit">The leader's commit point.</param>
/// <param name="CommitComplete">
/// Whether <paramref name="Commit"/> covers every entry committed in any epoch up to the leader's (true once the leader's
/// epoch-start entry is committed).
/// </param>
/// <param name="ForIncarnation">The follower incarnation the leader last heard from (lets a rejoining replica trust the commit point).</param>
internal sealed record AppendRequest(long Epoch, LogPosition Prev, IReadOnlyList<ReplicaEntry> Entries, LogPosition Commit, bool CommitComplete, long ForIncarnation)
    : ReplicationMessage(Epoch)
{
    public override string ToString()
        => $"Append(e{Epoch} prev{Prev} [{string.Join(' ', Entries)}] commit{Commit}{(CommitComplete ? "" : "?")} inc{ForIncarnation})";
}

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

/// <summary>Candidate to replica: promise <paramref name="Epoch"/> (refuse every lower epoch from now on) and report the log end.</summary>
internal sealed record FenceRequest(long Epoch) : ReplicationMessage(Epoch)
{
    public override string ToString() => $"Fence(e{Epoch})";
}

/// <summary>Replica to candidate: fenced (or refused), with its durable log end and the commit point it knows.</summary>
internal sealed record FenceReply(long Epoch, RefusalReason Reason, LogPosition End, LogPosition Commit, long Promise)
    : ReplicationMessage(Epoch)
{
    public override string ToString() => $"FenceReply(e{Epoch} {Reason} end{End} commit{Commit} promise{Promise})";
}

/// <summary>Candidate to the replica with the most up-to-date log: send up to <paramref name="Max"/> entries after <paramref name="After"/>.</summary>
internal sealed record ReadLogRequest(long Epoch, LogPosition After, int Max) : ReplicationMessage(Epoch)
{
    public override string ToString() => $"ReadLog(e{Epoch} after{After} max{Max})";
}

/// <summary>The entries asked for (or a refusal), and the replica's log end.</summary>
internal sealed record ReadLogReply(long Epoch, RefusalReason Reason, LogPosition After, IReadOnlyList<ReplicaEntry> Entries, LogPosition End)
    : ReplicationMessage(Epoch)
{
    public override string ToString() => $"ReadLogReply(e{Epoch} {Reason} after{After} [{string.Join(' ', Entries)}] end{End})";
}

/// <summary>Something a state machine wants sent to <paramref name="To"/>.</summary>
internal readonly record struct Outgoing(string To, ReplicationMessage Message);

/// <summary>
/// Protections of the protocol that tests switch off to show the simulation finds the violation each one prevents.
/// Production code always uses <see cref="Default"/>.
/// </summary>
internal sealed record ReplicationSafety(bool Fencing = true, bool PrevMatch = true, bool CurrentEpochCommit = true)
{
    public static ReplicationSafety Default { get; } = new();
}
