using System.Globalization;

namespace OrleansAof.Storage;

/// <summary>
/// A replicated record was not the partition's next id (the follower path appends only at <c>LastId + 1</c>). Nothing was
/// written.
/// </summary>
internal sealed class ReplicaAppendOutOfOrderException(long id, long lastId)
    : AppendLogException(string.Create(CultureInfo.InvariantCulture, $"A replicated record must have the next id {lastId + 1}; it had {id}."))
{
    /// <summary>The id the record had.</summary>
    public long Id { get; } = id;

    /// <summary>The partition's last id.</summary>
    public long LastId { get; } = lastId;
}

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

/// <summary>
/// A replicated record does not fit the active segment. The follower path never rolls over on its own (segment boundaries
/// are the leader's decision); the leader must start a segment first. Nothing was written.
/// </summary>
internal sealed class ReplicaSegmentFullException(long id, long maxSegmentBytes)
    : AppendLogException(string.Create(CultureInfo.InvariantCulture, $"Record {id} does not fit the active segment ({nameof(PartitionLogOptions.MaxSegmentBytes)} = {maxSegmentBytes}); the leader must start a new segment."))
{
    /// <summary>The record's id.</summary>
    public long Id { get; } = id;
}
