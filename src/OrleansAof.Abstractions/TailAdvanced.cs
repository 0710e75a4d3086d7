namespace OrleansAof;

/// <summary>
/// A tail notification: the partition's durable id advanced to <see cref="LastDurableId"/>. Notifications are
/// coalesced high-water marks, not records: a subscriber pulls the records from its own checkpoint.
/// </summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="LastDurableId">The partition's durable id when the notification was sent.</param>
/// <param name="Epoch">The writer epoch of the activation that sent it.</param>
/// <param name="Records">
/// Only on the direct push, and only when they are small: the records that became durable with this advance (from the
/// id after the previous push). A hint that saves a read: a subscriber whose checkpoint is the first of them may use them;
/// any other subscriber pulls. The stream never carries records.
/// </param>
[GenerateSerializer]
[Immutable]
[Alias("aof.TailAdvanced")]
public sealed record TailAdvanced(
    [property: Id(0)] string Log,
    [property: Id(1)] string Partition,
    [property: Id(2)] long LastDurableId,
    [property: Id(3)] long Epoch,
    [property: Id(4)] LogRecordBatch? Records = null)
{
    /// <summary>The partition's grain key.</summary>
    public string PartitionKey => string.Concat(Log, "/", Partition);
}
