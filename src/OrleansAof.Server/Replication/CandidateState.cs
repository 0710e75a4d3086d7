namespace OrleansAof.Server.Replication;

/// <summary>Where a failover stands.</summary>
internal enum CandidateState
{
    /// <summary>Fencing: waiting for a majority of voters to promise the new epoch.</summary>
    Fencing,

    /// <summary>Reading the most up-to-date log from the replica that holds it.</summary>
    Adopting,

    /// <summary>The adopted log is local and durable: <see cref="Candidate.BecomeLeader"/> may be called.</summary>
    Ready,

    /// <summary>A higher epoch exists, or the source of the log refused: this failover is over.</summary>
    Failed,
}
