using OrleansAof.Storage;

namespace OrleansAof.Server.Ownership;

/// <summary>The engine's id bound store over <see cref="IPartitionRecordGrain"/>.</summary>
internal sealed class GrainIdBoundStore(IGrainFactory grains) : IIdBoundStore
{
    public Task<long?> ReadAsync(string log, string partition, CancellationToken cancellationToken) =>
        grains.GetGrain<IPartitionRecordGrain>(PartitionKey.Format(log, partition)).GetIdBoundAsync().WaitAsync(cancellationToken);

    public Task WriteAsync(string log, string partition, long bound, CancellationToken cancellationToken) =>
        grains.GetGrain<IPartitionRecordGrain>(PartitionKey.Format(log, partition)).SetIdBoundAsync(bound).WaitAsync(cancellationToken);
}
