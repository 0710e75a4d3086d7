using Orleans.Placement;
using OrleansAof.Storage;

namespace OrleansAof.Server.Ownership;

/// <summary>The persisted state of <see cref="PartitionRecordGrain"/>.</summary>
[GenerateSerializer]
[Alias("aof.PartitionRecordState")]
internal sealed class PartitionRecordState
{
    [Id(0)]
    public long? IdBound { get; set; }
}

/// <summary>One partition's durable record, written through to the ownership storage before every answer.</summary>
/// <remarks>
/// Placed on the silo of its first caller (the partition grain that opens the partition), so the id bound read and write
/// of an activation are local calls and add no network hop to a cold partition's first append.
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
}

/// <summary>The engine's id bound store over <see cref="IPartitionRecordGrain"/>.</summary>
internal sealed class GrainIdBoundStore(IGrainFactory grains) : IIdBoundStore
{
    public Task<long?> ReadAsync(string log, string partition, CancellationToken cancellationToken) =>
        grains.GetGrain<IPartitionRecordGrain>(PartitionKey.Format(log, partition)).GetIdBoundAsync().WaitAsync(cancellationToken);

    public Task WriteAsync(string log, string partition, long bound, CancellationToken cancellationToken) =>
        grains.GetGrain<IPartitionRecordGrain>(PartitionKey.Format(log, partition)).SetIdBoundAsync(bound).WaitAsync(cancellationToken);
}
