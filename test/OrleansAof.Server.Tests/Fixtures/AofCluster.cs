using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;
using OrleansAof.Client;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests.Fixtures;

/// <summary>An in-process cluster with the append log: each silo keeps its partitions under its own folder (named after the silo).</summary>
public abstract class AofClusterFixture : IAsyncLifetime
{
    public const string SubscriberStorage = "AofSubscribers";

    protected AofClusterFixture(int silos) => SiloCount = silos;

    public int SiloCount { get; }

    public TempDirectory Data { get; } = new("cluster");

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public IAppendLogClient Logs => Client.ServiceProvider.GetRequiredService<IAppendLogClient>();

    /// <summary>The client's filter that loses answers of appends on demand.</summary>
    public LostAnswerFilter LostAnswers => Client.ServiceProvider.GetRequiredService<LostAnswerFilter>();

    /// <summary>The silo names the cluster uses (in start order).</summary>
    public IReadOnlyList<string> SiloNames { get; private set; } = [];

    /// <summary>The owner of <paramref name="log"/>/<paramref name="partition"/> under this cluster's silo list.</summary>
    public string OwnerOf(string log, string partition) =>
        new Ownership.PartitionOwnership(Microsoft.Extensions.Options.Options.Create(new AppendLogOptions { Silos = [.. SiloNames] })).OwnerOf(log, partition)!;

    /// <summary>A partition of <paramref name="log"/> that <paramref name="silo"/> owns.</summary>
    public string PartitionOwnedBy(string log, string silo) =>
        Enumerable.Range(0, 64).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).First(p => OwnerOf(log, p) == silo);

    public IPartitionGrain Partition(string log, string partition = "0") => Client.GetGrain<IPartitionGrain>(PartitionKey.Format(log, partition));

    public async Task InitializeAsync()
    {
        await BeforeStartAsync();
        SiloNames = [.. Enumerable.Range(0, SiloCount).Select(i => $"Silo_{i}")];
        var builder = new InProcessTestClusterBuilder((short)SiloCount);
        builder.ConfigureSilo((options, silo) =>
        {
            silo.AddAppendLog(o =>
            {
                o.DataRoot = Data.Path;
                o.DataRootPerSilo = true;
                o.SiloName = options.SiloName;
                o.Silos = [.. SiloNames];
                o.Preallocation = Storage.PreallocationMode.None;
                o.MaxSegmentBytes = 1024 * 1024;
                o.MaxRecordBytes = 256 * 1024;
                o.MemoryStreamPollPeriod = TimeSpan.FromMilliseconds(5);
                ConfigureLog(o);
            });
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
            ConfigureSilo(silo);
        });
        builder.ConfigureClient(client =>
        {
            client.AddAppendLogClient(o => o.PartitionCounts["keyed"] = 4);
            client.Services.AddSingleton<LostAnswerFilter>();
            client.Services.AddSingleton<IOutgoingGrainCallFilter>(sp => sp.GetRequiredService<LostAnswerFilter>());
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(15));
            ConfigureClient(client);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>Kills the running silo named <paramref name="siloName"/> (started with the cluster or restarted since).</summary>
    public async Task KillSiloAsync(string siloName)
    {
        var handle = Cluster.Silos.Concat(_restarted).Single(s => s.Name == siloName && s.IsActive);
        _restarted.Remove(handle);
        await Cluster.KillSiloAsync(handle);
    }

    /// <summary>Starts the silo named <paramref name="siloName"/> again (same name, so same data folder) after it was killed.</summary>
    public async Task RestartSiloAsync(string siloName)
    {
        var instance = SiloNames.ToList().IndexOf(siloName);
        _restarted.Add(await Cluster.StartSiloAsync(instance, Cluster.Options));
    }

    private readonly List<InProcessSiloHandle> _restarted = [];

    protected virtual void ConfigureLog(AppendLogOptions options)
    {
    }

    protected virtual void ConfigureSilo(ISiloBuilder silo)
    {
    }

    protected virtual void ConfigureClient(IClientBuilder client)
    {
    }

    /// <summary>Runs before the cluster starts (servers the silos need).</summary>
    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    /// <summary>Runs after the cluster stopped.</summary>
    protected virtual void AfterStop()
    {
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in _restarted)
        {
            await Cluster.StopSiloAsync(silo);
        }

        await Cluster.DisposeAsync();
        AfterStop();
        Data.Dispose();
    }
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
public class ArchivingCluster() : AofClusterFixture(2)
{
    public string ArchiveRoot => Path.Combine(Data.Path, "archive");

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
        silo.AddAppendLogFileSystemArchive(o => o.RootPath = ArchiveRoot);
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
public sealed class NoReminderArchivingCluster() : AofClusterFixture(1)
{
    public string ArchiveRoot => Path.Combine(Data.Path, "archive");

    protected override void ConfigureLog(AppendLogOptions options)
    {
        options.MaxSegmentBytes = 8192;
        options.MaxRecordBytes = 2048;
        options.KeepLocalSegments = 1;
    }

    protected override void ConfigureSilo(ISiloBuilder silo) => silo.AddAppendLogFileSystemArchive(o => o.RootPath = ArchiveRoot);
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
