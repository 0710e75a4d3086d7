using System.Globalization;

namespace OrleansAof.Storage;

/// <summary>
/// A truncation would remove records of a sealed segment. Only the active segment's uncommitted suffix may be cut: a
/// leader seals only committed positions, so this is a protocol violation. Nothing was changed.
/// </summary>
internal sealed class ReplicaTruncationAcrossSealException(long afterId, long activeBaseId)
    : AppendLogException(string.Create(CultureInfo.InvariantCulture, $"Cannot truncate after id {afterId}: ids below {activeBaseId} are in sealed segments."))
{
    /// <summary>The id after which the truncation was asked.</summary>
    public long AfterId { get; } = afterId;

    /// <summary>The first id of the active segment: every id before it is sealed.</summary>
    public long ActiveBaseId { get; } = activeBaseId;
}
