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
