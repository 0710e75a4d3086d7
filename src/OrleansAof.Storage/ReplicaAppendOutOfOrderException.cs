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
