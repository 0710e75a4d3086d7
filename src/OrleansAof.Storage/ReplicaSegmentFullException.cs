using System.Globalization;

namespace OrleansAof.Storage;

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
