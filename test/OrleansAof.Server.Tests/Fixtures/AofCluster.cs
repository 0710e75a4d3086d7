using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using OrleansAof.TestInfrastructure.Clusters;
using Xunit;

namespace OrleansAof.Server.Tests.Fixtures;

/// <summary>
/// The cluster of the server tests: <see cref="AofTestCluster"/> (in-process TestingHost silos) with this project's
/// defaults: 256 KiB records, 5 ms memory-stream polls, subscribers rechecked every 250 ms with their state in
/// <see cref="SubscriberStorage"/>, tail notifications through <see cref="ChaosTailInterceptor"/>, a silo declared dead
/// after one missed 500 ms probe, 15 s response timeouts, and a client whose answers <see cref="LostAnswers"/> can lose.
/// </summary>
public abstract class AofClusterFixture(AofTestClusterOptions options) : AofTestCluster(Defaults(options))
{
    public const string SubscriberStorage = "AofSubscribers";

    protected AofClusterFixture(int silos)
        : this(new AofTestClusterOptions { Silos = silos })
    {
    }

    /// <summary>The client's filter that loses answers of appends on demand.</summary>
    public LostAnswerFilter LostAnswers => Client.ServiceProvider.GetRequiredService<LostAnswerFilter>();

    private static AofTestClusterOptions Defaults(AofTestClusterOptions options) => options with
    {
        ConfigureLog = o =>
        {
            o.MaxRecordBytes = 256 * 1024;
            o.MemoryStreamPollPeriod = TimeSpan.FromMilliseconds(5);
        },
        ConfigureSilo = silo =>
        {
            silo.ConfigureLogSubscribers(o => o.RecheckInterval = TimeSpan.FromMilliseconds(250));
            silo.AddMemoryGrainStorage(SubscriberStorage);
            silo.Services.AddSingleton<ChaosTailInterceptor>();
            silo.Services.AddSingleton<ITailNotificationInterceptor>(sp => sp.GetRequiredService<ChaosTailInterceptor>());
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromMilliseconds(500);
                o.NumMissedProbesLimit = 1;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromMilliseconds(500);
            });
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(15));
        },
        ConfigureClient = client =>
        {
            client.Services.AddSingleton<LostAnswerFilter>();
            client.Services.AddSingleton<IOutgoingGrainCallFilter>(sp => sp.GetRequiredService<LostAnswerFilter>());
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(15));
        },
    };
}

/// <summary>Three silos, shared by the suites that do not stop silos.</summary>
public sealed class ThreeSiloCluster() : AofClusterFixture(3);

/// <summary>Two silos for the suites that kill and restart silos; partitions seal their active segment when they deactivate.</summary>
public sealed class FailoverCluster() : AofClusterFixture(2)
{
    protected override void ConfigureLog(AppendLogOptions options) => options.SealOnDeactivate = true;
}

/// <summary>
/// Two silos that archive to one shared file-system archive (as they would share an S3 bucket), with 8 KiB segments,
/// one local sealed segment kept, and archiver reminders every second.
/// </summary>
public class ArchivingCluster : AofClusterFixture
{
    /// <summary>Two silos and the shared file-system archive.</summary>
    protected static readonly AofTestClusterOptions Archiving = new() { Silos = 2, Archive = TestClusterArchive.FileSystem };

    public ArchivingCluster()
        : this(Archiving)
    {
    }

    protected ArchivingCluster(AofTestClusterOptions options)
        : base(options)
    {
    }

    protected override void ConfigureLog(AppendLogOptions options)
    {
        options.MaxSegmentBytes = 8192;
        options.MaxRecordBytes = 2048;
        options.KeepLocalSegments = 1;
        options.ArchiveReminderPeriod = TimeSpan.FromSeconds(1);
        options.ArchiveReadCacheBytes = 64 * 1024;
    }

    protected override void ConfigureSilo(ISiloBuilder silo)
    {
        silo.UseInMemoryReminderService();
        silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
    }
}

/// <summary>Like <see cref="ArchivingCluster"/>, but partitions do not poke their archiver at seal: only the reminder archives.</summary>
public sealed class ReminderOnlyArchivingCluster : ArchivingCluster
{
    protected override void ConfigureLog(AppendLogOptions options)
    {
        base.ConfigureLog(options);
        options.ArchiveOnSeal = false;
    }
}

/// <summary>
/// One silo that archives to a file-system archive but has no reminder service at all, so every reminder registration of
/// the archiver fails; seal pokes (and the archiver's own retries) must archive anyway.
/// </summary>
public sealed class NoReminderArchivingCluster() : AofClusterFixture(new AofTestClusterOptions { Silos = 1, Archive = TestClusterArchive.FileSystem })
{
    protected override void ConfigureLog(AppendLogOptions options)
    {
        options.MaxSegmentBytes = 8192;
        options.MaxRecordBytes = 2048;
        options.KeepLocalSegments = 1;
    }
}

[CollectionDefinition(Name)]
public sealed class NoReminderArchivingClusterGroup : ICollectionFixture<NoReminderArchivingCluster>
{
    public const string Name = "archiving cluster without reminders";
}

/// <summary>An archiving cluster used only by the drain tests (a drain moves every partition of a silo).</summary>
public sealed class DrainCluster : ArchivingCluster;

[CollectionDefinition(Name)]
public sealed class DrainClusterGroup : ICollectionFixture<DrainCluster>
{
    public const string Name = "drain cluster";
}

[CollectionDefinition(Name)]
public sealed class ArchivingClusterGroup : ICollectionFixture<ArchivingCluster>
{
    public const string Name = "archiving cluster";
}

[CollectionDefinition(Name)]
public sealed class ReminderOnlyArchivingClusterGroup : ICollectionFixture<ReminderOnlyArchivingCluster>
{
    public const string Name = "reminder-only archiving cluster";
}

[CollectionDefinition(Name)]
public sealed class ThreeSiloClusterGroup : ICollectionFixture<ThreeSiloCluster>
{
    public const string Name = "three-silo cluster";
}

[CollectionDefinition(Name)]
public sealed class FailoverClusterGroup : ICollectionFixture<FailoverCluster>
{
    public const string Name = "failover cluster";
}
