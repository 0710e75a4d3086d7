using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.IntegrationTests;

/// <summary>
/// The servers of the cluster tests, stopped by PID at the end: one redis-server (membership, reminders, grain state;
/// each test uses its own cluster id) and one s3rver holding the archive bucket <see cref="Bucket"/> (each test uses
/// its cluster id as the key prefix). The silos are separate silo-host processes (<see cref="SiloHostCluster"/>).
/// </summary>
public sealed class ClusterServers() : TestServers(redis: true, s3Bucket: Bucket)
{
    public const string Bucket = "aof-archive";
}

[CollectionDefinition(Name)]
public sealed class SiloHostClusterGroup : ICollectionFixture<ClusterServers>
{
    public const string Name = "silo-host cluster over Redis and s3rver";
}
