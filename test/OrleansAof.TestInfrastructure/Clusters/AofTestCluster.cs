using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.TestingHost;
using OrleansAof.Archive.S3;
using OrleansAof.Client;
using OrleansAof.Server;
using OrleansAof.Server.Ownership;
using StackExchange.Redis;
using Xunit;

namespace OrleansAof.TestInfrastructure.Clusters;

/// <summary>
/// The one cluster fixture of the tests: silos with the append log in this process, each keeping its partitions under its
/// own folder (named after the silo) of one temporary data root, and a client with the append-log client. What runs is
/// set by <see cref="AofTestClusterOptions"/> (silo count, membership, archive, streams, a project's defaults); a
/// fixture adds to it by overriding <see cref="ConfigureLog"/>, <see cref="ConfigureSilo"/>, <see cref="ConfigureClient"/>
/// and <see cref="BeforeStartAsync"/>. The servers the options need (redis-server, s3rver) are started before the silos
/// and stopped by PID after them.
/// </summary>
public abstract class AofTestCluster : IAsyncLifetime
{
    /// <summary>The bucket of <see cref="TestClusterArchive.S3"/>.</summary>
    public const string S3Bucket = "aof-cluster";

    private readonly List<InProcessSiloHandle> _restarted = [];
    private readonly List<IHost> _hosts = [];
    private readonly TestServers _servers;
    private InProcessTestCluster? _cluster;
    private IHost? _client;

    protected AofTestCluster(AofTestClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Silos < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Silos, "AofTestClusterOptions.Silos must be at least 1.");
        }

        if (options.StreamProvider is not null && options.ConfigureStreams is null)
        {
            throw new ArgumentException("AofTestClusterOptions.ConfigureStreams is required with a StreamProvider.", nameof(options));
        }

        Options = options;
        Data = new TempDirectory(options.DataFolderPrefix);
        SiloNames = [.. Enumerable.Range(0, options.Silos).Select(static i => $"Silo_{i}")];
        Owners = [.. SiloNames, .. options.ExtraOwners];
        ClusterIdOfHosts = options.ClusterIdPrefix + Guid.NewGuid().ToString("N")[..8];
        _servers = new TestServers(
            redis: options.Membership == TestClusterMembership.Redis,
            s3Bucket: options.Archive == TestClusterArchive.S3 ? S3Bucket : null);
    }

    public AofTestClusterOptions Options { get; }

    public int SiloCount => Options.Silos;

    /// <summary>The data root; silo <c>Silo_i</c> keeps its partitions in <c>{Data}/Silo_i</c>.</summary>
    public TempDirectory Data { get; }

    /// <summary>The silo names the cluster uses (in start order).</summary>
    public IReadOnlyList<string> SiloNames { get; }

    /// <summary>The owner silos the log is configured with (<c>AppendLogOptions.Silos</c>): the running ones and <see cref="AofTestClusterOptions.ExtraOwners"/>.</summary>
    public IReadOnlyList<string> Owners { get; }

    /// <summary>The shared archive folder of <see cref="TestClusterArchive.FileSystem"/>.</summary>
    public string ArchiveRoot => Path.Combine(Data.Path, "archive");

    /// <summary>The cluster id.</summary>
    public string ClusterId => Options.Membership == TestClusterMembership.TestingHost ? Cluster.Options.ClusterId : ClusterIdOfHosts;

    /// <summary>The service id.</summary>
    public string ServiceId => Options.Membership == TestClusterMembership.TestingHost ? Cluster.Options.ServiceId : Options.ServiceId;

    /// <summary>The TestingHost cluster (<see cref="TestClusterMembership.TestingHost"/> only).</summary>
    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException(
        Options.Membership == TestClusterMembership.TestingHost ? "The cluster has not started." : $"A {Options.Membership} cluster is not a TestingHost cluster.");

    /// <summary>The gateway port of each silo, in <see cref="SiloNames"/> order (not <see cref="TestClusterMembership.TestingHost"/>: its transport is in memory).</summary>
    public IReadOnlyList<int> GatewayPorts { get; private set; } = [];

    /// <summary>The fixture's client (grain factory).</summary>
    public IClusterClient Client => _cluster?.Client
        ?? _client?.Services.GetRequiredService<IClusterClient>()
        ?? throw new InvalidOperationException("The cluster has not started.");

    public IAppendLogClient Logs => Client.ServiceProvider.GetRequiredService<IAppendLogClient>();

    /// <summary>The redis-server of <see cref="TestClusterMembership.Redis"/>.</summary>
    public RedisServer Redis => _servers.Redis;

    /// <summary>The s3rver of <see cref="TestClusterArchive.S3"/>.</summary>
    public S3rverServer S3Server => _servers.S3;

    private string ClusterIdOfHosts { get; }

    /// <summary>The partition grain of <paramref name="log"/>/<paramref name="partition"/>.</summary>
    public IPartitionGrain Partition(string log, string partition = "0") => Client.GetGrain<IPartitionGrain>(PartitionKey.Format(log, partition));

    /// <summary>The owner of <paramref name="log"/>/<paramref name="partition"/> under this cluster's owner list.</summary>
    public string OwnerOf(string log, string partition) =>
        new PartitionOwnership(Microsoft.Extensions.Options.Options.Create(new AppendLogOptions { Silos = [.. Owners] })).OwnerOf(log, partition)!;

    /// <summary>A partition of <paramref name="log"/> that <paramref name="silo"/> owns.</summary>
    public string PartitionOwnedBy(string log, string silo) =>
        Enumerable.Range(0, 64).Select(static i => i.ToString(CultureInfo.InvariantCulture)).First(p => OwnerOf(log, p) == silo);

    /// <summary>The partition directory of <paramref name="log"/>/<paramref name="partition"/> on <paramref name="silo"/>.</summary>
    public string PartitionDirectory(string silo, string log, string partition) => Path.Combine(Data.Path, silo, log, partition);

    /// <summary>Whether any silo has a directory for the partition.</summary>
    public bool AnySiloHasDirectory(string log, string partition) => SiloNames.Any(s => Directory.Exists(PartitionDirectory(s, log, partition)));

    /// <summary>The services of the running silo named <paramref name="siloName"/>.</summary>
    public IServiceProvider SiloServices(string siloName)
    {
        if (_cluster is not null)
        {
            return _cluster.Silos.Concat(_restarted).Single(s => s.Name == siloName && s.IsActive).ServiceProvider;
        }

        return _hosts[SiloNames.ToList().IndexOf(siloName)].Services;
    }

    /// <summary>Options for the s3rver of <see cref="TestClusterArchive.S3"/>: compatibility mode, prefix <c>cluster</c>, no SDK retries, 10 s requests.</summary>
    public S3ArchiveOptions S3Options(Action<S3ArchiveOptions>? configure = null)
    {
        var options = new S3ArchiveOptions
        {
            ServiceUrl = S3Server.ServiceUrl,
            Bucket = S3Bucket,
            Prefix = "cluster",
            ForcePathStyle = true,
            AccessKey = S3rverServer.AccessKey,
            SecretKey = S3rverServer.SecretKey,
            CompatibilityMode = true,
            MaxErrorRetry = 0,
            RequestTimeout = TimeSpan.FromSeconds(10),
        };
        configure?.Invoke(options);
        return options;
    }

    public async Task InitializeAsync()
    {
        await _servers.InitializeAsync();
        await BeforeStartAsync();
        if (Options.Membership == TestClusterMembership.TestingHost)
        {
            await StartTestingHostAsync();
        }
        else
        {
            await StartHostsAsync();
        }
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

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            foreach (var silo in _restarted)
            {
                await _cluster.StopSiloAsync(silo);
            }

            await _cluster.DisposeAsync();
        }

        if (_client is not null)
        {
            await _client.StopAsync();
            _client.Dispose();
        }

        for (var i = _hosts.Count - 1; i >= 0; i--)
        {
            await _hosts[i].StopAsync();
            _hosts[i].Dispose();
        }

        AfterStop();
        await _servers.DisposeAsync();
        Data.Dispose();
    }

    /// <summary>Adds to each silo's log options (after the fixture's and the project's).</summary>
    protected virtual void ConfigureLog(AppendLogOptions options)
    {
    }

    /// <summary>Adds to each silo's configuration (after the fixture's and the project's).</summary>
    protected virtual void ConfigureSilo(ISiloBuilder silo)
    {
    }

    /// <summary>Adds to the client's configuration (after the fixture's and the project's).</summary>
    protected virtual void ConfigureClient(IClientBuilder client)
    {
    }

    /// <summary>Gives each silo the archive of <see cref="AofTestClusterOptions.Archive"/>.</summary>
    protected virtual void ConfigureArchive(ISiloBuilder silo)
    {
        switch (Options.Archive)
        {
            case TestClusterArchive.FileSystem:
                silo.AddAppendLogFileSystemArchive(o => o.RootPath = ArchiveRoot);
                break;
            case TestClusterArchive.S3:
                AddS3Archive(silo);
                break;
        }
    }

    /// <summary>Runs after the servers started and before the silos start.</summary>
    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    /// <summary>Runs after the cluster stopped, before the servers stop.</summary>
    protected virtual void AfterStop()
    {
    }

    // Kept in methods of their own (as is the Redis part) so that only a fixture that uses them needs their assemblies.
    private void AddS3Archive(ISiloBuilder silo)
    {
        var s3 = S3Options();
        silo.Services.AddAppendLogS3Archive(o => Copy(s3, o));
    }

    /// <summary>Membership in the fixture's redis-server, and there also the ownership storage a durable membership requires.</summary>
    private void UseRedisMembership(ISiloBuilder silo)
    {
        silo.UseRedisClustering(Redis.ConnectionString);
        silo.AddRedisGrainStorage(AppendLogOptions.OwnershipStorageName, o => o.ConfigurationOptions = ConfigurationOptions.Parse(Redis.ConnectionString));
    }

    private void UseRedisMembership(IClientBuilder client) => client.UseRedisClustering(Redis.ConnectionString);

    private static void Copy(S3ArchiveOptions from, S3ArchiveOptions to)
    {
        to.ServiceUrl = from.ServiceUrl;
        to.Bucket = from.Bucket;
        to.Prefix = from.Prefix;
        to.ForcePathStyle = from.ForcePathStyle;
        to.AccessKey = from.AccessKey;
        to.SecretKey = from.SecretKey;
        to.CompatibilityMode = from.CompatibilityMode;
        to.MaxErrorRetry = from.MaxErrorRetry;
        to.RequestTimeout = from.RequestTimeout;
    }

    private async Task StartTestingHostAsync()
    {
        var builder = new InProcessTestClusterBuilder((short)SiloCount);
        builder.ConfigureSilo((options, silo) => ConfigureAofSilo(silo, options.SiloName));
        builder.ConfigureClient(ConfigureAofClient);
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    private async Task StartHostsAsync()
    {
        var siloPorts = SiloNames.Select(static _ => FreePort.Find()).ToList();
        GatewayPorts = [.. SiloNames.Select(static _ => FreePort.Find())];
        var primary = new IPEndPoint(IPAddress.Loopback, siloPorts[0]);
        for (var i = 0; i < SiloCount; i++)
        {
            var name = SiloNames[i];
            var (siloPort, gatewayPort) = (siloPorts[i], GatewayPorts[i]);
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.UseOrleans(silo =>
            {
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = ClusterIdOfHosts;
                    o.ServiceId = Options.ServiceId;
                });
                silo.Configure<SiloOptions>(o => o.SiloName = name);
                silo.ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort);
                if (Options.Membership == TestClusterMembership.Redis)
                {
                    UseRedisMembership(silo);
                }
                else
                {
                    silo.UseDevelopmentClustering(primary);
                }

                ConfigureAofSilo(silo, name);
            });
            var host = builder.Build();
            _hosts.Add(host);
            await host.StartAsync();
        }

        var client = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        client.UseOrleansClient(c =>
        {
            if (Options.Membership == TestClusterMembership.Redis)
            {
                UseRedisMembership(c);
            }
            else
            {
                c.UseStaticClustering([.. GatewayPorts.Select(static p => new IPEndPoint(IPAddress.Loopback, p))]);
            }

            c.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterIdOfHosts;
                o.ServiceId = Options.ServiceId;
            });
            ConfigureAofClient(c);
        });
        _client = client.Build();
        await _client.StartAsync();
    }

    private void ConfigureAofSilo(ISiloBuilder silo, string siloName)
    {
        silo.AddAppendLog(o =>
        {
            o.DataRoot = Data.Path;
            o.DataRootPerSilo = true;
            o.SiloName = siloName;
            o.Silos = [.. Owners];
            o.Preallocation = Storage.PreallocationMode.None;
            o.MaxSegmentBytes = 1024 * 1024;
            Options.ConfigureLog?.Invoke(o);
            ConfigureLog(o);
        });
        ConfigureArchive(silo);
        if (Options.StreamProvider is { } provider)
        {
            silo.AddAppendLogStreams(provider, Options.ConfigureStreams!);
        }

        Options.ConfigureSilo?.Invoke(silo);
        ConfigureSilo(silo);
    }

    private void ConfigureAofClient(IClientBuilder client)
    {
        client.AddAppendLogClient(o => o.PartitionCounts["keyed"] = 4);
        if (Options.StreamProvider is { } provider)
        {
            client.AddAppendLogStreams(provider, Options.ConfigureStreams!);
        }

        Options.ConfigureClient?.Invoke(client);
        ConfigureClient(client);
    }
}
