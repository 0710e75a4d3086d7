namespace OrleansAof.Server.Ownership;

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
