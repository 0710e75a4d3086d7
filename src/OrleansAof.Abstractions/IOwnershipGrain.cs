namespace OrleansAof;

/// <summary>
/// The durable table of run-time ownership overrides (one per cluster, key 0). Overrides here win over the silos'
/// configured overrides; placement reads it, and a partition checks it before it opens, so a partition never opens on
/// a silo that is no longer its owner.
/// </summary>
[Alias("aof.IOwnershipGrain")]
public interface IOwnershipGrain : IGrainWithIntegerKey
{
    /// <summary>The current table.</summary>
    [Orleans.Concurrency.ReadOnly]
    [Alias("Get")]
    Task<OwnershipTable> GetAsync();

    /// <summary>Makes <paramref name="silo"/> the owner of <paramref name="key"/> (<c>{log}/{partition}</c> or <c>{log}</c>); durable when it returns.</summary>
    [Alias("Set")]
    Task<OwnershipTable> SetAsync(string key, string silo);

    /// <summary>Removes the override of <paramref name="key"/>; durable when it returns.</summary>
    [Alias("Remove")]
    Task<OwnershipTable> RemoveAsync(string key);
}
