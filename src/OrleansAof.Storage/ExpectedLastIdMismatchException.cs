namespace OrleansAof.Storage;

/// <summary>An append carried an expected last id that is not the partition's last id. Nothing was written.</summary>
public sealed class ExpectedLastIdMismatchException(long expectedLastId, long actualLastId)
    : AppendLogException($"The append expected last id {expectedLastId} but the partition's last id is {actualLastId}.")
{
    /// <summary>The id the caller expected.</summary>
    public long ExpectedLastId { get; } = expectedLastId;

    /// <summary>The partition's actual last id (-1 when it is empty).</summary>
    public long ActualLastId { get; } = actualLastId;
}
