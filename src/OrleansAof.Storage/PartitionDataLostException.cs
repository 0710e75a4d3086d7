namespace OrleansAof.Storage;

/// <summary>
/// A partition cannot open because ids it may have acknowledged are held by no local file and no archived object (its
/// volume was lost, for example): handing out ids again from the last one held would give new records the ids of lost
/// ones. Nothing was changed. An operator decides: restore the data, or accept the loss and continue after the bound
/// (<see cref="LostIdsPolicy.SkipPastBound"/>, <c>aof restore --skip-lost-ids</c>), which leaves an explicit gap.
/// </summary>
public sealed class PartitionDataLostException(string partition, long heldThrough, long bound)
    : AppendLogException($"Partition '{partition}' holds ids through {heldThrough} (local files and the archive), but ids through {bound} may have been acknowledged (its recorded id bound): ids {heldThrough + 1}..{bound} are lost and will not be handed out again. It stays closed until an operator restores the data or accepts the gap ('aof restore --skip-lost-ids').")
{
    /// <summary>The partition (<c>{log}/{partition}</c>).</summary>
    public string Partition { get; } = partition;

    /// <summary>The last id local files and the archive hold (-1 when none).</summary>
    public long HeldThrough { get; } = heldThrough;

    /// <summary>The recorded bound: no id above it was ever handed out.</summary>
    public long Bound { get; } = bound;
}
