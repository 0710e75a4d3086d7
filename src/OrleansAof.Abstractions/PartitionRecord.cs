namespace OrleansAof;

/// <summary>
/// The durable record of one partition (keyed <c>{log}/{partition}</c>), kept in the cluster's ownership storage, outside
/// any silo's data volume: the upper bound of the ids the partition ever handed out. After a lost volume it tells which
/// ids may have been acknowledged and are gone, so they are never handed out again.
/// </summary>
[Alias("aof.IPartitionRecordGrain")]
public interface IPartitionRecordGrain : IGrainWithStringKey
{
    /// <summary>The recorded id bound, or <see langword="null"/> when the partition never recorded one (it is new).</summary>
    [Alias("GetIdBound")]
    Task<long?> GetIdBoundAsync();

    /// <summary>Records <paramref name="bound"/>; durable when it returns. Only the partition's owner calls it.</summary>
    [Alias("SetIdBound")]
    Task SetIdBoundAsync(long bound);

    /// <summary>
    /// Lets the record leave memory: its partition closed on this silo. One-way; the record stays in the ownership storage
    /// and is read back on the next call. Only the partition's owner calls it.
    /// </summary>
    [Alias("Release")]
    [Orleans.Concurrency.OneWay]
    Task ReleaseAsync();
}
