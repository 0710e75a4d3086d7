namespace OrleansAof.Server.Replication;

/// <summary>Candidate to replica: promise <paramref name="Epoch"/> (refuse every lower epoch from now on) and report the log end.</summary>
[GenerateSerializer]
[Immutable]
[Alias("aof.repl.FenceRequest")]
internal sealed record FenceRequest(long Epoch) : ReplicationMessage(Epoch)
{
    public override string ToString() => $"Fence(e{Epoch})";
}
