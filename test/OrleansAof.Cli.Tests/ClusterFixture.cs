using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansAof.Client;
using OrleansAof.Server;
using OrleansAof.Server.Ownership;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Cli.Tests;

/// <summary>
/// Two silos in this process, each with its own data folder (named after the silo), joined by development (localhost)
/// membership over real TCP: the tool connects to their gateways like to any cluster (<see cref="ConnectionArgs"/>).
/// The in-process test cluster of Orleans' TestingHost uses an in-memory transport, which an outside client cannot reach.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    private readonly List<IHost> _silos = [];
    private IHost? _client;

    public TempDirectory Data { get; } = new("cli-cluster");

    public string ClusterId { get; } = "cli-" + Guid.NewGuid().ToString("N")[..8];

    public string ServiceId { get; } = "aof-cli-tests";

    /// <summary>How many silos run.</summary>
    public virtual int SiloCount => 2;

    /// <summary>The names of the running silos.</summary>
    public IReadOnlyList<string> SiloNames => [.. Enumerable.Range(0, SiloCount).Select(static i => $"Silo_{i}")];

    /// <summary>The owner silos the log is configured with (<c>AppendLogOptions.Silos</c>): by default the running ones.</summary>
    public virtual IReadOnlyList<string> Owners => SiloNames;

    /// <summary>The gateway port of each silo, in <see cref="SiloNames"/> order.</summary>
    public IReadOnlyList<int> GatewayPorts { get; private set; } = [];

    /// <summary>A client of the cluster for setting up and checking (not the tool's).</summary>
    public IAppendLogClient Logs => _client!.Services.GetRequiredService<IAppendLogClient>();

    /// <summary>The options every <c>aof</c> cluster command of the tests gets: both gateways and the cluster's ids.</summary>
    public IReadOnlyList<string> ConnectionArgs { get; private set; } = [];

    /// <summary>The silo that owns <paramref name="log"/>/<paramref name="partition"/>.</summary>
    public string OwnerOf(string log, string partition) =>
        new PartitionOwnership(Microsoft.Extensions.Options.Options.Create(new AppendLogOptions { Silos = [.. Owners] })).OwnerOf(log, partition)!;

    /// <summary>The partition directory of <paramref name="log"/>/<paramref name="partition"/> on <paramref name="silo"/>.</summary>
    public string PartitionDirectory(string silo, string log, string partition) => Path.Combine(Data.Path, silo, log, partition);

    /// <summary>Whether any silo has a directory for the partition.</summary>
    public bool AnySiloHasDirectory(string log, string partition) => SiloNames.Any(s => Directory.Exists(PartitionDirectory(s, log, partition)));

    public async Task InitializeAsync()
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
                    o.ClusterId = ClusterId;
                    o.ServiceId = ServiceId;
                });
                silo.Configure<SiloOptions>(o => o.SiloName = name);
                silo.ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort);
                silo.UseDevelopmentClustering(primary);
                silo.AddAppendLog(o =>
                {
                    o.DataRoot = Data.Path;
                    o.DataRootPerSilo = true;
                    o.SiloName = name;
                    o.Silos = [.. Owners];
                    o.Preallocation = Storage.PreallocationMode.None;
                    o.MaxSegmentBytes = 1024 * 1024;
                    o.MaxRecordBytes = 64 * 1024;
                });
                ConfigureSilo(silo);
            });
            var host = builder.Build();
            await host.StartAsync();
            _silos.Add(host);
        }

        var client = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        client.UseOrleansClient(c =>
        {
            c.UseStaticClustering([.. GatewayPorts.Select(static p => new IPEndPoint(IPAddress.Loopback, p))]);
            c.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterId;
                o.ServiceId = ServiceId;
            });
            c.AddAppendLogClient(o => o.PartitionCounts["keyed"] = 4);
        });
        _client = client.Build();
        await _client.StartAsync();

        var args = new List<string>();
        foreach (var port in GatewayPorts)
        {
            args.Add("--gateway");
            args.Add($"127.0.0.1:{port}");
        }

        args.AddRange(["--cluster-id", ClusterId, "--service-id", ServiceId]);
        ConnectionArgs = args;
    }

    /// <summary>Runs the tool in-process with <paramref name="args"/> and this cluster's connection options; <paramref name="stdin"/> is its input.</summary>
    public async Task<CliRun> RunAsync(byte[]? stdin, params string[] args)
    {
        var stdout = new ConcurrentWriter();
        var stderr = new ConcurrentWriter();
        var environment = new CliEnvironment { Out = stdout, Error = stderr, OutputIsTerminal = false, OpenInput = () => new MemoryStream(stdin ?? []) };
        var code = await AofCli.RunAsync([.. args, .. ConnectionArgs], environment);
        return new CliRun(code, stdout.Text, stderr.Text);
    }

    /// <summary>Adds to each silo's configuration (an archive, reminders).</summary>
    protected virtual void ConfigureSilo(ISiloBuilder silo)
    {
    }

    public async Task DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync();
            _client.Dispose();
        }

        for (var i = _silos.Count - 1; i >= 0; i--)
        {
            await _silos[i].StopAsync();
            _silos[i].Dispose();
        }

        Data.Dispose();
    }
}

/// <summary>The two-silo cluster most tests share.</summary>
public sealed class TwoSiloCluster : ClusterFixture;

/// <summary>One running silo; the log's owners also name <see cref="DownSilo"/>, which never runs: its partitions are unavailable.</summary>
public sealed class ClusterWithADownOwner : ClusterFixture
{
    public const string DownSilo = "Silo_down";

    public override int SiloCount => 1;

    public override IReadOnlyList<string> Owners => [.. SiloNames, DownSilo];
}

/// <summary>Two silos sharing a file-system archive under the fixture's folder: what a drain needs.</summary>
public sealed class ArchivingTwoSiloCluster : ClusterFixture
{
    public string ArchiveRoot => Data.Combine("archive");

    protected override void ConfigureSilo(ISiloBuilder silo)
    {
        silo.UseInMemoryReminderService();
        silo.AddAppendLogFileSystemArchive(o => o.RootPath = ArchiveRoot);
    }
}

[CollectionDefinition(Name)]
public sealed class ArchivingClusterGroup : ICollectionFixture<ArchivingTwoSiloCluster>
{
    public const string Name = "aof against a two-silo cluster with an archive";
}

[CollectionDefinition(Name)]
public sealed class ClusterGroup : ICollectionFixture<TwoSiloCluster>
{
    public const string Name = "aof against a two-silo cluster";
}

[CollectionDefinition(Name)]
public sealed class DownOwnerGroup : ICollectionFixture<ClusterWithADownOwner>
{
    public const string Name = "aof against a cluster whose owner silo is down";
}

/// <summary>A writer the tool can write to from any thread while a test reads what arrived so far.</summary>
public sealed class ConcurrentWriter : TextWriter
{
    private readonly StringBuilder _text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    public override void Write(char value)
    {
        lock (_text)
        {
            _text.Append(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_text)
        {
            _text.Append(value);
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_text)
        {
            _text.Append(value).Append('\n');
        }
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task FlushAsync() => Task.CompletedTask;
}
