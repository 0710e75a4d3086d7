using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.TestingHost;
using OrleansAof.Client;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.StressHarness;

/// <summary>The cluster a run works against: a client, and (in-process only) silos it may kill and restart.</summary>
internal abstract class StressTarget : IAsyncDisposable
{
    public abstract IClusterClient Client { get; }

    public IAppendLogClient Logs => Client.ServiceProvider.GetRequiredService<IAppendLogClient>();

    /// <summary>Whether <see cref="KillAsync"/>, <see cref="RestartAsync"/> and <see cref="DeactivateAsync"/> are available.</summary>
    public virtual bool CanKill => false;

    /// <summary>Names of the silos that may be killed.</summary>
    public virtual IReadOnlyList<string> KillableSilos => [];

    /// <summary>Where data lives, for the summary (null for a real cluster).</summary>
    public virtual string? DataPath => null;

    public virtual Task KillAsync(string silo) => throw new NotSupportedException("Silos can only be killed in-process.");

    public virtual Task RestartAsync(string silo) => throw new NotSupportedException("Silos can only be restarted in-process.");

    /// <summary>Deactivates a grain where it is active; false when this target cannot.</summary>
    public virtual Task<bool> DeactivateAsync(IAddressable grain) => Task.FromResult(false);

    public abstract ValueTask DisposeAsync();

    public static async Task<StressTarget> StartAsync(StressOptions options, string log, CancellationToken cancellationToken) =>
        options.InProcess
            ? await InProcessTarget.DeployAsync(options, log, cancellationToken)
            : await RemoteTarget.ConnectAsync(options, log, cancellationToken);
}

/// <summary>
/// Three (or <see cref="StressOptions.Silos"/>) silos in this process, each with its own data folder, one shared
/// file-system archive, small segments, one local sealed segment kept, a small archive read cache and archiver reminders
/// every second: rollover, archival, eviction and reads from the archive happen all the time.
/// </summary>
internal sealed class InProcessTarget : StressTarget
{
    private readonly TempDirectory _data;
    private readonly bool _keep;
    private readonly List<InProcessSiloHandle> _restarted = [];
    private readonly Lock _silos = new();
    private InProcessTestCluster _cluster = null!;

    private InProcessTarget(TempDirectory data, bool keep)
    {
        _data = data;
        _keep = keep;
    }

    public IReadOnlyList<string> SiloNames { get; private set; } = [];

    public override IClusterClient Client => _cluster.Client;

    public override bool CanKill => true;

    public override IReadOnlyList<string> KillableSilos => [.. SiloNames.Skip(1)];

    public override string DataPath => _data.Path;

    public static async Task<InProcessTarget> DeployAsync(StressOptions options, string log, CancellationToken cancellationToken)
    {
        var target = new InProcessTarget(new TempDirectory("stress"), options.KeepData);
        try
        {
            await target.StartClusterAsync(options, log, cancellationToken);
            return target;
        }
        catch
        {
            await target.DisposeAsync();
            throw;
        }
    }

    private async Task StartClusterAsync(StressOptions options, string log, CancellationToken cancellationToken)
    {
        SiloNames = [.. Enumerable.Range(0, options.Silos).Select(i => $"Silo_{i}")];
        var archive = Path.Combine(_data.Path, "archive");
        var builder = new InProcessTestClusterBuilder((short)options.Silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((siloOptions, silo) =>
        {
            silo.AddAppendLog(o =>
            {
                o.DataRoot = Path.Combine(_data.Path, "data");
                o.DataRootPerSilo = true;
                o.SiloName = siloOptions.SiloName;
                o.Silos = [.. SiloNames];
                o.MaxSegmentBytes = options.SegmentKiB * 1024L;
                o.MaxRecordBytes = options.SegmentKiB * 1024 / 4;
                o.KeepLocalSegments = 1;
                o.ArchiveReminderPeriod = TimeSpan.FromSeconds(1);
                o.ArchiveReadCacheBytes = options.SegmentKiB * 1024L * 2;
                o.MemoryStreamPollPeriod = TimeSpan.FromMilliseconds(5);
            });
            silo.UseInMemoryReminderService();
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            silo.AddAppendLogFileSystemArchive(o => o.RootPath = archive);
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromMilliseconds(500);
                o.NumMissedProbesLimit = 1;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromMilliseconds(500);
            });
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
        });
        builder.ConfigureClient(client =>
        {
            client.AddAppendLogClient(o => o.PartitionCounts[log] = options.Partitions);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync(cancellationToken);
    }

    public override async Task KillAsync(string silo)
    {
        InProcessSiloHandle handle;
        lock (_silos)
        {
            handle = _cluster.Silos.Concat(_restarted).Single(s => s.Name == silo && s.IsActive);
            _restarted.Remove(handle);
        }

        await _cluster.KillSiloAsync(handle);
    }

    public override async Task RestartAsync(string silo)
    {
        var instance = SiloNames.ToList().IndexOf(silo);
        var handle = await _cluster.StartSiloAsync(instance, _cluster.Options);
        lock (_silos)
        {
            _restarted.Add(handle);
        }
    }

    public override async Task<bool> DeactivateAsync(IAddressable grain)
    {
        await _cluster.DeactivateAsync(grain);
        return true;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            foreach (var silo in _restarted.ToList())
            {
                try
                {
                    await _cluster.StopSiloAsync(silo);
                }
                catch (Exception e) when (e is OperationCanceledException or Orleans.Runtime.OrleansException or InvalidOperationException)
                {
                    // Stopping is best effort; the cluster below disposes whatever is left.
                }
            }

            await _cluster.DisposeAsync();
        }

        if (!_keep)
        {
            _data.Dispose();
        }
    }
}

/// <summary>A running cluster reached through a gateway or Redis membership.</summary>
internal sealed class RemoteTarget : StressTarget
{
    private readonly IHost _host;

    private RemoteTarget(IHost host) => _host = host;

    public override IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public static async Task<RemoteTarget> ConnectAsync(StressOptions options, string log, CancellationToken cancellationToken)
    {
        IPEndPoint? gateway = null;
        if (options.Gateway is { } text)
        {
            gateway = IPEndPoint.TryParse(text, out var parsed) && parsed.Port != 0 ? parsed : await ResolveAsync(text, cancellationToken);
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            if (options.Redis is { } redis)
            {
                client.UseRedisClustering(redis);
            }
            else
            {
                client.UseStaticClustering(gateway!);
            }

            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ServiceId;
            });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
            client.AddAppendLogClient(o => o.PartitionCounts[log] = options.Partitions);
        });
        var host = builder.Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await host.StartAsync(timeout.Token);
        return new RemoteTarget(host);
    }

    private static async Task<IPEndPoint> ResolveAsync(string text, CancellationToken cancellationToken)
    {
        var colon = text.LastIndexOf(':');
        var host = colon < 0 ? text : text[..colon];
        var port = colon < 0 ? 30000 : int.Parse(text[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
        var address = Array.Find(addresses, static a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses[0];
        return new IPEndPoint(address, port);
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _host.StopAsync(stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or Orleans.Runtime.OrleansException)
        {
            // The cluster went away; nothing left to close cleanly.
        }

        _host.Dispose();
    }
}
