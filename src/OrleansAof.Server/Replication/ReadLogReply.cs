namespace OrleansAof.Server.Replication;

/// <summary>The entries asked for (or a refusal), and the replica's log end.</summary>
[GenerateSerializer]
[Immutable]
[Alias("aof.repl.ReadLogReply")]
internal sealed record ReadLogReply(long Epoch, [property: Id(0)] RefusalReason Reason, [property: Id(1)] LogPosition After, [property: Id(2)] IReadOnlyList<ReplicaEntry> Entries, [property: Id(3)] LogPosition End)
    : ReplicationMessage(Epoch)
{
    public override string ToString() => $"ReadLogReply(e{Epoch} {Reason} after{After} [{string.Join(' ', Entries)}] end{End})";
}
