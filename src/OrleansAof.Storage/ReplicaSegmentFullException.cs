using System.Globalization;

namespace OrleansAof.Storage;

/// <summary>
/// A replicated record does not fit the active segment. The follower path never rolls over on its own (segment boundaries
/// are the leader's decision): the leader starts a segment before any record that would not fit on a replica with the same
/// <see cref="PartitionLogOptions.MaxSegmentBytes"/>, so this means the replica's option differs from the leader's. Every
/// replica of a log must use the same value. Nothing was written.
/// </summary>
internal sealed class ReplicaSegmentFullException(long id, long maxSegmentBytes)
    : AppendLogException(string.Create(CultureInfo.InvariantCulture, $"Record {id} does not fit the active segment ({nameof(PartitionLogOptions.MaxSegmentBytes)} = {maxSegmentBytes}); every replica of a log must use the leader's {nameof(PartitionLogOptions.MaxSegmentBytes)}."))
{
    /// <summary>The record's id.</summary>
    public long Id { get; } = id;
}
