namespace OrleansAof.Server.Replication;

/// <summary>Why a replica refused a request.</summary>
[GenerateSerializer]
[Alias("aof.repl.RefusalReason")]
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
