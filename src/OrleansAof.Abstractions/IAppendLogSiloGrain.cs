namespace OrleansAof;

/// <summary>
/// The append log on one silo, keyed by the silo's name (<c>SiloOptions.SiloName</c>, as cluster membership reports it)
/// and activated on that silo only. Operator tools call it on every active silo to learn which partitions exist (a
/// partition directory under the silo's data root) and which are open, without opening or creating any partition,
/// and to drain a silo before it is removed.
/// </summary>
/// <remarks>
/// When no active silo has the name, the call fails with Orleans' <c>SiloUnavailableException</c> (the grain is never
/// placed anywhere else).
/// </remarks>
[Alias("aof.IAppendLogSiloGrain")]
public interface IAppendLogSiloGrain : IGrainWithStringKey
{
    /// <summary>
    /// The partitions under this silo's data root, sorted by log and partition name, and the partitions open on this
    /// silo. Reads directory names only; never opens a partition.
    /// </summary>
    /// <param name="log">When set, only the partitions of this log.</param>
    /// <exception cref="InvalidPartitionNameException"><paramref name="log"/> is not a valid log name.</exception>
    [Alias("ListPartitions")]
    [Orleans.Concurrency.AlwaysInterleave]
    Task<SiloPartitionList> ListPartitionsAsync(string? log = null);

    /// <summary>
    /// Moves every partition on this silo to other silos with zero loss: each partition stops taking appends
    /// (retryable <see cref="PartitionUnavailableException"/>), seals and archives everything, the ownership table names
    /// its new owner (one of <paramref name="targets"/>, or by rendezvous over the other configured silos), its local
    /// folder is moved aside (to <c>{DataRoot}/.handed-over/</c>), and the new owner opens it from the archive,
    /// continuing after the archived last id. Needs an archive. A partition that cannot be moved (an archive outage)
    /// stays here, appending again, and is reported with the reason. One drain runs at a time per silo.
    /// </summary>
    /// <param name="targets">The silos to move partitions to; <see langword="null"/> or empty: every other configured silo.</param>
    /// <exception cref="ArgumentException">No other silo to move to, or <paramref name="targets"/> names this silo.</exception>
    /// <exception cref="InvalidLogOptionsException">A target is not an active silo of the cluster (option name <c>targets</c>); nothing was moved.</exception>
    [Alias("Drain")]
    Task<DrainReport> DrainAsync(string[]? targets);

    /// <summary>
    /// Moves one partition of this silo the way <see cref="DrainAsync"/> moves each (operator tools call it partition by
    /// partition to show progress and keep every call short).
    /// </summary>
    /// <param name="partition">The partition's key <c>{log}/{partition}</c>.</param>
    /// <param name="targets">As for <see cref="DrainAsync"/>.</param>
    /// <returns>Where it went, or why it stayed (it appends here again).</returns>
    /// <exception cref="ArgumentException">The partition is not on this silo, or no other silo to move to.</exception>
    /// <exception cref="InvalidPartitionNameException"><paramref name="partition"/> is not a valid key.</exception>
    /// <exception cref="InvalidLogOptionsException">A target is not an active silo of the cluster (option name <c>targets</c>); nothing was moved.</exception>
    [Alias("MovePartition")]
    Task<DrainedPartition> MovePartitionAsync(string partition, string[]? targets);
}
