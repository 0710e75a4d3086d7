using OrleansAof.TestInfrastructure.Clusters;
using Xunit;

namespace OrleansAof.Server.Tests.Fixtures;

/// <summary>Two silos and a client with the append-log stream provider <see cref="Provider"/> over log <see cref="Log"/> (4 partitions, a tiny cache so that rewinds read back from the log).</summary>
public sealed class StreamsCluster() : AofClusterFixture(new AofTestClusterOptions { Silos = 2, StreamProvider = Provider, ConfigureStreams = Configure })
{
    public const string Provider = "aof-streams";
    public const string Log = "streams";

    internal static void Configure(Streams.AppendLogStreamOptions o)
    {
        o.Log = Log;
        o.Partitions = 4;
        o.CacheRecords = 8;
        o.CheckpointInterval = TimeSpan.FromMilliseconds(100);
    }
}

/// <summary>
/// The archiving cluster (8 KiB segments, one local sealed segment kept, archiver reminders every second) with the same
/// stream provider: rewinds read evicted records back from the archive.
/// </summary>
public sealed class ArchivingStreamsCluster() : ArchivingCluster(Archiving with { StreamProvider = StreamsCluster.Provider, ConfigureStreams = StreamsCluster.Configure });

[CollectionDefinition(Name)]
public sealed class ArchivingStreamsClusterGroup : ICollectionFixture<ArchivingStreamsCluster>
{
    public const string Name = "append-log streams archiving cluster";
}

[CollectionDefinition(Name)]
public sealed class StreamsClusterGroup : ICollectionFixture<StreamsCluster>
{
    public const string Name = "append-log streams cluster";
}
