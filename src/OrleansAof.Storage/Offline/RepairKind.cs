using OrleansAof.Storage.Format;

namespace OrleansAof.Storage.Offline;

/// <summary>The offline repairs an operator can apply to a partition that no writer holds.</summary>
public enum RepairKind
{
    /// <summary>
    /// Cut every torn tail back exactly as recovery would (<see cref="RecoveryPlan"/>): zero the bytes from the cut to the
    /// last non-zero byte and fsync. Loses no acknowledged record. Refused when a segment holds damage.
    /// </summary>
    TruncateTornTail,

    /// <summary>
    /// Cut the active (last) segment at its damage point: keep the intact records before it (as recovery keeps a torn
    /// tail) and zero everything after, so the partition opens again for appends. Drops acknowledged records after the
    /// damage: the result says which ids.
    /// </summary>
    CutAtDamage,

    /// <summary>
    /// Move a damaged sealed segment that is not the last one to <c>quarantine/</c> and record it in the catalog as
    /// <see cref="SegmentStatus.Quarantined"/>; reads of its ids then fail with <see cref="SegmentCorruptedException"/>.
    /// </summary>
    Quarantine,
}
