namespace OrleansAof.Server.Replication;

/// <summary>Replica to candidate: fenced (or refused), with its durable log end and the commit point it knows.</summary>
internal sealed record FenceReply(long Epoch, RefusalReason Reason, LogPosition End, LogPosition Commit, long Promise)
    : ReplicationMessage(Epoch)
{
    public override string ToString() => $"FenceReply(e{Epoch} {Reason} end{End} commit{Commit} promise{Promise})";
}
