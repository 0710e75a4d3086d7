namespace OrleansAof;

/// <summary>The outcome of an append: the ids given to its records and whether they are durable yet.</summary>
/// <param name="FirstId">Id of the first record appended.</param>
/// <param name="LastId">Id of the last record appended.</param>
/// <param name="IsDurable">Whether the records were fsynced before the call returned (always under <c>Sync</c>).</param>
/// <param name="IsDuplicate">Whether this was a retry of a batch the partition had already appended with the same <see cref="ProducerStamp"/>: nothing was written and the original ids are returned.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.AppendAck")]
public readonly record struct AppendAck(
    [property: Id(0)] long FirstId,
    [property: Id(1)] long LastId,
    [property: Id(2)] bool IsDurable,
    [property: Id(3)] bool IsDuplicate)
{
    /// <summary>How many records were appended.</summary>
    public long Count => LastId - FirstId + 1;
}
