namespace OrleansAof.Storage.Offline;

/// <summary>What recovery would cut from the tail of an unsealed segment (<see cref="Format.RecoveryPlan"/>).</summary>
/// <param name="KeepEnd">Offset after which everything is zeroed.</param>
/// <param name="KeepRecords">Records kept.</param>
/// <param name="LastKeptId">Last id kept (base id - 1 when none).</param>
/// <param name="DiscardedRecords">Intact records discarded because they were never acknowledged (no checkpoint covers them and they were written under <c>Sync</c>, or their batch is incomplete).</param>
/// <param name="FirstDiscardedId">First discarded id, when records are discarded.</param>
/// <param name="LastDiscardedId">Last discarded id, when records are discarded.</param>
/// <param name="ZeroedBytes">Bytes from <paramref name="KeepEnd"/> to the last non-zero byte: what is overwritten with zeros.</param>
public sealed record TailCut(long KeepEnd, int KeepRecords, long LastKeptId, int DiscardedRecords, long? FirstDiscardedId, long? LastDiscardedId, long ZeroedBytes);
