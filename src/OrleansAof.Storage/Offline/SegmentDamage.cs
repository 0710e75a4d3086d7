namespace OrleansAof.Storage.Offline;

/// <summary>Damage found in a segment.</summary>
/// <param name="Offset">File offset of the first byte that fails its checks.</param>
/// <param name="Detail">What is wrong there.</param>
/// <param name="Proof">Why this is damage and not a torn tail: a later valid checkpoint, or the seal's metadata.</param>
/// <param name="ProofCheckpointOffset">Offset of the later valid checkpoint that proves the data was durable (unsealed segments).</param>
/// <param name="DeclaredLastId">The last id that the proof declares durable.</param>
/// <param name="Cut">For an unsealed segment: what <c>aof repair --cut-at-damage</c> keeps (everything after <see cref="TailCut.KeepEnd"/> is dropped).</param>
/// <param name="LostFirstId">First id that cutting at the damage loses.</param>
/// <param name="LostLastId">Last id known to be lost: the highest id of any intact record or checkpoint after the damage.</param>
public sealed record SegmentDamage(long Offset, string Detail, string Proof, long? ProofCheckpointOffset, long? DeclaredLastId, TailCut? Cut, long? LostFirstId, long? LostLastId)
{
    /// <summary>How many ids cutting at the damage loses (at least; 0 when not applicable).</summary>
    public long LostIds => LostFirstId is { } first && LostLastId is { } last && last >= first ? last - first + 1 : 0;
}
