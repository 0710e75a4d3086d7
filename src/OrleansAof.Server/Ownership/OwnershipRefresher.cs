namespace OrleansAof.Server.Ownership;

/// <summary>Keeps this silo's copy of the ownership table fresh for placement and for the fence partitions check before they open.</summary>
internal sealed class OwnershipRefresher(IGrainFactory grains, PartitionOwnership ownership, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private DateTimeOffset _refreshedAt = DateTimeOffset.MinValue;

    /// <summary>Reads the table again when the copy is older than <paramref name="maxAge"/> (zero: always).</summary>
    public async Task EnsureFreshAsync(TimeSpan maxAge)
    {
        if (!ownership.HasConfiguredSilos || time.GetUtcNow() - _refreshedAt < maxAge && maxAge > TimeSpan.Zero)
        {
            return;
        }

        await _refresh.WaitAsync();
        try
        {
            if (maxAge > TimeSpan.Zero && time.GetUtcNow() - _refreshedAt < maxAge)
            {
                return;
            }

            Apply(await grains.GetGrain<IOwnershipGrain>(0).GetAsync());
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();

    /// <summary>Takes a table just read or written.</summary>
    public void Apply(OwnershipTable table)
    {
        ownership.Apply(table);
        _refreshedAt = time.GetUtcNow();
    }
}
