using Orleans.Placement;

namespace OrleansAof.Server.Ownership;

/// <summary>One partition's durable record, written through to the ownership storage before every answer.</summary>
/// <remarks>
/// Placed on the silo of its first caller (the partition grain that opens the partition), so the id bound read and write
/// of an activation are local calls and add no network hop to a cold partition's first append. Deactivated with its
/// partition (<see cref="ReleaseAsync"/>), so a silo holds one per open partition, not one per partition it ever served.
/// </remarks>
[PreferLocalPlacement]
internal sealed class PartitionRecordGrain(
    [PersistentState("partition", AppendLogOptions.OwnershipStorageName)] IPersistentState<PartitionRecordState> state)
    : Grain, IPartitionRecordGrain
{
    public Task<long?> GetIdBoundAsync() => Task.FromResult(state.State.IdBound);

    public async Task SetIdBoundAsync(long bound)
    {
        if (state.State.IdBound != bound)
        {
            state.State.IdBound = bound;
            await state.WriteStateAsync();
        }
    }

    public Task ReleaseAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}
