namespace OrleansAof.Server.Replication;

/// <summary>The entries asked for (or a refusal), and the replica's log end.</summary>
internal sealed record ReadLogReply(long Epoch, RefusalReason Reason, LogPosition After, IReadOnlyList<ReplicaEntry> Entries, LogPosition End)
    : ReplicationMessage(Epoch)
{
    public override string ToString() => $"ReadLogReply(e{Epoch} {Reason} after{After} [{string.Join(' ', Entries)}] end{End})";
}
