using OrleansAof.Server;
using OrleansAof.Streams;

namespace OrleansAof.TestInfrastructure.Clusters;

/// <summary>What an <see cref="AofTestCluster"/> runs. Each silo keeps its partitions under its own folder of the data root.</summary>
public sealed record AofTestClusterOptions
{
    /// <summary>How many silos start, named <c>Silo_0</c>, <c>Silo_1</c>, ...</summary>
    public int Silos { get; init; } = 1;

    /// <summary>Owner silos the log is configured with besides the running ones (<c>AppendLogOptions.Silos</c>): silos that never run.</summary>
    public IReadOnlyList<string> ExtraOwners { get; init; } = [];

    /// <summary>How silos find each other and how the client reaches them.</summary>
    public TestClusterMembership Membership { get; init; } = TestClusterMembership.TestingHost;

    /// <summary>Where sealed segments are archived.</summary>
    public TestClusterArchive Archive { get; init; } = TestClusterArchive.None;

    /// <summary>The append-log stream provider of the silos and the client, or <see langword="null"/> for none.</summary>
    public string? StreamProvider { get; init; }

    /// <summary>Configures the stream provider <see cref="StreamProvider"/> (both sides).</summary>
    public Action<AppendLogStreamOptions>? ConfigureStreams { get; init; }

    /// <summary>The prefix of the data root's temporary folder.</summary>
    public string DataFolderPrefix { get; init; } = "cluster";

    /// <summary>The service id (<see cref="TestClusterMembership.TestingHost"/> keeps the TestingHost's own ids).</summary>
    public string ServiceId { get; init; } = "aof-tests";

    /// <summary>The cluster id's prefix; a fresh suffix makes every cluster's id unique.</summary>
    public string ClusterIdPrefix { get; init; } = "aof-";

    /// <summary>Log options of a test project, applied after the fixture's (data root, silo names, no preallocation, 1 MiB segments).</summary>
    public Action<AppendLogOptions>? ConfigureLog { get; init; }

    /// <summary>Silo configuration of a test project, applied after the fixture's.</summary>
    public Action<ISiloBuilder>? ConfigureSilo { get; init; }

    /// <summary>Client configuration of a test project, applied after the fixture's.</summary>
    public Action<IClientBuilder>? ConfigureClient { get; init; }
}
