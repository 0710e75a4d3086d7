using Xunit;

namespace OrleansAof.TestInfrastructure;

/// <summary>
/// The real servers a test fixture needs, started before it and stopped by PID after it: a <c>redis-server</c> (when
/// <c>redis</c> is set) and an s3rver holding one bucket (when <c>s3Bucket</c> is set). A cluster fixture
/// (<see cref="Clusters.AofTestCluster"/>) starts its own; multi-process suites share one as a collection fixture.
/// </summary>
public class TestServers(bool redis, string? s3Bucket) : IAsyncLifetime
{
    private RedisServer? _redis;
    private S3rverServer? _s3;

    /// <summary>The bucket created on <see cref="S3"/>, or <see langword="null"/> when no s3rver runs.</summary>
    public string? S3Bucket => s3Bucket;

    public RedisServer Redis => _redis ?? throw new InvalidOperationException(redis ? "Redis did not start." : "These servers have no Redis.");

    public S3rverServer S3 => _s3 ?? throw new InvalidOperationException(s3Bucket is null ? "These servers have no s3rver." : "s3rver did not start.");

    public async Task InitializeAsync()
    {
        if (redis)
        {
            _redis = await RedisServer.StartNewAsync();
        }

        if (s3Bucket is not null)
        {
            _s3 = await S3rverServer.StartNewAsync();
            await _s3.CreateBucketAsync(s3Bucket);
        }
    }

    public Task DisposeAsync()
    {
        _redis?.Dispose();
        _s3?.Dispose();
        return Task.CompletedTask;
    }
}
