namespace OrleansAof.Server.Replication;

/// <summary>
/// The durable state a replica keeps besides its log, written and made durable in one step by
/// <see cref="IReplicaLogStore.WriteState"/> (a small file replaced atomically, fsynced).
/// </summary>
/// <param name="Promise">The highest epoch this replica was fenced by or appended to: it refuses every lower epoch.</param>
/// <param name="Voter">
/// Whether the replica may answer a fence and so help choose the log a new leader adopts. False after a lost volume
/// until the replica has caught up with a leader's complete commit point (see docs/replication.md, "Lost volumes").
/// </param>
/// <param name="Commit">A position known committed that the replica's durable log holds.</param>
/// <param name="SealedBefore">The first id of the newest segment whose predecessor is sealed (0 when none is sealed).</param>
internal readonly record struct ReplicaDurableState(long Promise, bool Voter, LogPosition Commit, long SealedBefore)
{
    /// <summary>A fresh replica's state: epoch 0, a voter, nothing committed or sealed.</summary>
    public static ReplicaDurableState Fresh => new(0, true, LogPosition.Start, 0);
}

/// <summary>
/// A replica's local log, as the replication protocol needs it: entries at (epoch, id) positions, appended after the
/// end, truncated after a position, made durable in groups. The engine's partition log implements it for real volumes;
/// tests use an in-memory store that keeps only what was flushed across a crash.
/// </summary>
/// <remarks>
/// Appends and truncations are volatile until <see cref="Flush"/>; a crash keeps the log as of the last flush.
/// <see cref="WriteState"/> is durable when it returns.
/// </remarks>
internal interface IReplicaLogStore
{
    /// <summary>The position of the last entry written (durable or not), <see cref="LogPosition.Start"/> when empty.</summary>
    LogPosition End { get; }

    /// <summary>The position of the last durable entry.</summary>
    LogPosition DurableEnd { get; }

    /// <summary>The durable replica state.</summary>
    ReplicaDurableState State { get; }

    /// <summary>Whether the log holds an entry at <paramref name="position"/> (always true for <see cref="LogPosition.Start"/>).</summary>
    bool Contains(LogPosition position);

    /// <summary>The greatest position in the log that is at most <paramref name="position"/> (or <see cref="LogPosition.Start"/>).</summary>
    LogPosition Floor(LogPosition position);

    /// <summary>The position of the entry before the one at <paramref name="position"/> (which must be in the log).</summary>
    LogPosition Before(LogPosition position);

    /// <summary>Up to <paramref name="max"/> entries after <paramref name="after"/> (which must be in the log), in order.</summary>
    IReadOnlyList<ReplicaEntry> ReadAfter(LogPosition after, int max);

    /// <summary>Appends <paramref name="entry"/>, whose position must be greater than <see cref="End"/>.</summary>
    void Append(ReplicaEntry entry);

    /// <summary>Removes every entry after <paramref name="position"/> (which must be in the log).</summary>
    void TruncateAfter(LogPosition position);

    /// <summary>Makes every append and truncation so far durable (one group commit).</summary>
    void Flush();

    /// <summary>Replaces the durable replica state, durably.</summary>
    void WriteState(ReplicaDurableState state);
}
