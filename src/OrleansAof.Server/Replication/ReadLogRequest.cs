namespace OrleansAof.Server.Replication;

/// <summary>Candidate to the replica with the most up-to-date log: send up to <paramref name="Max"/> entries after <paramref name="After"/>.</summary>
internal sealed record ReadLogRequest(long Epoch, LogPosition After, int Max) : ReplicationMessage(Epoch)
{
    public override string ToString() => $"ReadLog(e{Epoch} after{After} max{Max})";
}
