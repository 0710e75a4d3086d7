namespace OrleansAof.Server.Replication;

/// <summary>Replica to candidate: fenced (or refused), with its durable log end and the commit point it knows.</summary>
[GenerateSerializer]
[Immutable]
[Alias("aof.repl.FenceReply")]
internal sealed record FenceReply(long Epoch, [property: Id(0)] RefusalReason Reason, [property: Id(1)] LogPosition End, [property: Id(2)] LogPosition Commit, [property: Id(3)] long Promise)
    : ReplicationMessage(Epoch)
{
    public override string ToString() => $"FenceReply(e{Epoch} {Reason} end{End} commit{Commit} promise{Promise})";
}
