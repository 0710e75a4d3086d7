using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.IntegrationTests;

/// <summary>One redis-server for the cluster tests (each test uses its own cluster id), stopped by PID at the end.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private RedisServer? _server;

    public RedisServer Server => _server ?? throw new InvalidOperationException("Redis did not start.");

    public async Task InitializeAsync() => _server = await RedisServer.StartNewAsync();

    public Task DisposeAsync()
    {
        _server?.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class SiloHostClusterGroup : ICollectionFixture<RedisFixture>
{
    public const string Name = "silo-host cluster over Redis";
}
