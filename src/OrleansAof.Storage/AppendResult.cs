namespace OrleansAof.Storage;

/// <summary>The outcome of an append: the ids given to its records and whether they are durable yet.</summary>
/// <param name="FirstId">Id of the first record appended.</param>
/// <param name="LastId">Id of the last record appended (equal to <paramref name="FirstId"/> for a single record).</param>
/// <param name="IsDurable">Whether the records were fsynced before the call returned (always under <c>Sync</c>).</param>
/// <param name="IsDuplicate">Whether this was a retry of a batch already appended by the same producer and sequence number: nothing was written and the original ids are returned.</param>
public readonly record struct AppendResult(long FirstId, long LastId, bool IsDurable, bool IsDuplicate = false)
{
    /// <summary>How many records were appended.</summary>
    public long Count => LastId - FirstId + 1;
}
