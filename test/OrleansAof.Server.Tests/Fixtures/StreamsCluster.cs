using Xunit;

namespace OrleansAof.Server.Tests.Fixtures;

/// <summary>Two silos and a client with the append-log stream provider <see cref="Provider"/> over log <see cref="Log"/> (4 partitions, a tiny cache so that rewinds read back from the log).</summary>
public sealed class StreamsCluster() : AofClusterFixture(2)
{
    public const string Provider = "aof-streams";
    public const string Log = "streams";

    private static void Configure(Streams.AppendLogStreamOptions o)
    {
        o.Log = Log;
        o.Partitions = 4;
        o.CacheRecords = 8;
        o.CheckpointInterval = TimeSpan.FromMilliseconds(100);
    }

    protected override void ConfigureSilo(ISiloBuilder silo) => silo.AddAppendLogStreams(Provider, Configure);

    protected override void ConfigureClient(IClientBuilder client) => client.AddAppendLogStreams(Provider, Configure);
}

[CollectionDefinition(Name)]
public sealed class StreamsClusterGroup : ICollectionFixture<StreamsCluster>
{
    public const string Name = "append-log streams cluster";
}
