using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.IntegrationTests;

/// <summary>
/// The servers of the cluster tests, stopped by PID at the end: one redis-server (membership, reminders, grain state;
/// each test uses its own cluster id) and one s3rver holding the archive bucket <see cref="Bucket"/> (each test uses
/// its cluster id as the key prefix).
/// </summary>
public sealed class ClusterServers : IAsyncLifetime
{
    public const string Bucket = "aof-archive";

    private RedisServer? _redis;
    private S3rverServer? _s3;

    public RedisServer Redis => _redis ?? throw new InvalidOperationException("Redis did not start.");

    public S3rverServer S3 => _s3 ?? throw new InvalidOperationException("s3rver did not start.");

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartNewAsync();
        _s3 = await S3rverServer.StartNewAsync();
        await _s3.CreateBucketAsync(Bucket);
    }

    public Task DisposeAsync()
    {
        _redis?.Dispose();
        _s3?.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class SiloHostClusterGroup : ICollectionFixture<ClusterServers>
{
    public const string Name = "silo-host cluster over Redis and s3rver";
}
