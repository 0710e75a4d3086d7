namespace OrleansAof.Server.Ownership;

/// <summary>The persisted state of <see cref="OwnershipGrain"/>.</summary>
[GenerateSerializer]
[Alias("aof.OwnershipState")]
internal sealed class OwnershipState
{
    [Id(0)]
    public long Version { get; set; }

    [Id(1)]
    public Dictionary<string, string> Overrides { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The cluster's run-time ownership overrides, written through to grain storage before every answer.</summary>
internal sealed class OwnershipGrain(
    [PersistentState("ownership", AppendLogOptions.OwnershipStorageName)] IPersistentState<OwnershipState> state)
    : Grain, IOwnershipGrain
{
    public Task<OwnershipTable> GetAsync() => Task.FromResult(Snapshot());

    public async Task<OwnershipTable> SetAsync(string key, string silo)
    {
        Validate(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(silo);
        PartitionKey.Validate(silo);
        if (!state.State.Overrides.TryGetValue(key, out var current) || current != silo)
        {
            state.State.Overrides[key] = silo;
            state.State.Version++;
            await state.WriteStateAsync();
        }

        return Snapshot();
    }

    public async Task<OwnershipTable> RemoveAsync(string key)
    {
        Validate(key);
        if (state.State.Overrides.Remove(key))
        {
            state.State.Version++;
            await state.WriteStateAsync();
        }

        return Snapshot();
    }

    private static void Validate(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        if (key.Contains(PartitionKey.Separator, StringComparison.Ordinal))
        {
            PartitionKey.Parse(key);
        }
        else
        {
            PartitionKey.Validate(key);
        }
    }

    private OwnershipTable Snapshot() => new(state.State.Version, new Dictionary<string, string>(state.State.Overrides, StringComparer.Ordinal));
}

/// <summary>Keeps this silo's copy of the ownership table fresh for placement and for the fence partitions check before they open.</summary>
internal sealed class OwnershipRefresher(IGrainFactory grains, Placement.PartitionOwnership ownership, TimeProvider time) : IDisposable
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
