using Orleans.Placement;
using OrleansAof.Server.Replication;

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
    : Grain, IPartitionRecordGrain, IReplicationRecordGrain
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

    public async Task<ReplicationConfiguration> GetOrCreateReplicationAsync(ReplicationConfiguration initial)
    {
        ArgumentNullException.ThrowIfNull(initial);
        if (state.State.Replication is { } stored)
        {
            return stored;
        }

        state.State.Replication = initial;
        await WriteOrForgetAsync();
        return initial;
    }

    public Task<ReplicationConfiguration?> GetReplicationAsync() => Task.FromResult(state.State.Replication);

    public async Task MarkEstablishedAsync()
    {
        if (!state.State.ReplicationEstablished)
        {
            state.State.ReplicationEstablished = true;
            await WriteOrForgetAsync();
        }
    }

    public Task<long> GetLostVolumeEpochAsync() =>
        Task.FromResult(state.State.ReplicationEstablished && state.State.Replication is { } configuration ? configuration.Epoch : 0);

    public async Task<bool> TryCompareAndSwapReplicationAsync(long expectedEpoch, ReplicationConfiguration next)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (state.State.Replication is not { } current || current.Epoch != expectedEpoch || next.Epoch <= expectedEpoch)
        {
            return false;
        }

        state.State.Replication = next;
        await WriteOrForgetAsync();
        return true;
    }

    /// <summary>
    /// Writes the state (the storage checks the ETag: a second activation that wrote in between makes it fail); on a
    /// failure the in-memory copy is read back so that it never claims what the storage does not hold.
    /// </summary>
    private async Task WriteOrForgetAsync()
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            await state.ReadStateAsync();
            throw;
        }
    }

    public Task ReleaseAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}
