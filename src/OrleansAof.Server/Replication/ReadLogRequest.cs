namespace OrleansAof.Server.Replication;

/// <summary>Candidate to the replica with the most up-to-date log: send up to <paramref name="Max"/> entries after <paramref name="After"/>.</summary>
[GenerateSerializer]
[Immutable]
[Alias("aof.repl.ReadLogRequest")]
internal sealed record ReadLogRequest(long Epoch, [property: Id(0)] LogPosition After, [property: Id(1)] int Max) : ReplicationMessage(Epoch)
{
    public override string ToString() => $"ReadLog(e{Epoch} after{After} max{Max})";
}
