namespace OrleansAof.Server.Replication;

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
[GenerateSerializer]
[Immutable]
[Alias("aof.repl.AppendRequest")]
internal sealed record AppendRequest(long Epoch, [property: Id(0)] LogPosition Prev, [property: Id(1)] IReadOnlyList<ReplicaEntry> Entries, [property: Id(2)] LogPosition Commit, [property: Id(3)] bool CommitComplete, [property: Id(4)] long ForIncarnation)
    : ReplicationMessage(Epoch)
{
    public override string ToString()
        => $"Append(e{Epoch} prev{Prev} [{string.Join(' ', Entries)}] commit{Commit}{(CommitComplete ? "" : "?")} inc{ForIncarnation})";
}
