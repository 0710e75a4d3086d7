namespace OrleansAof.Server.Replication;

/// <summary>
/// One mark of a replica's epoch history: records with ids above <paramref name="AfterId"/> (up to the next mark) belong
/// to <paramref name="Epoch"/>; with <paramref name="HasStart"/> the epoch-start entry <c>(Epoch, AfterId)</c> is in the
/// log too.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("aof.repl.EpochMark")]
internal readonly record struct EpochMark([property: Id(0)] long Epoch, [property: Id(1)] long AfterId, [property: Id(2)] bool HasStart)
{
    /// <summary>The position of the first entry this mark stands for: its epoch start, or its first record.</summary>
    public LogPosition First => new(Epoch, HasStart ? AfterId : AfterId + 1);
}
