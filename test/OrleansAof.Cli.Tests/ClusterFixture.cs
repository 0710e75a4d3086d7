using System.Text;
using OrleansAof.TestInfrastructure.Clusters;

namespace OrleansAof.Cli.Tests;

/// <summary>
/// The cluster the tool's cluster commands run against: <see cref="AofTestCluster"/> with silos in this process on real
/// TCP ports and development (localhost) membership, so the tool connects to their gateways like to any cluster
/// (<see cref="ConnectionArgs"/>); the TestingHost's in-memory transport cannot be reached from outside. Records up to
/// 64 KiB.
/// </summary>
public abstract class ClusterFixture(AofTestClusterOptions options) : AofTestCluster(options with
{
    Membership = TestClusterMembership.Localhost,
    DataFolderPrefix = "cli-cluster",
    ClusterIdPrefix = "cli-",
    ServiceId = "aof-cli-tests",
    ConfigureLog = static o => o.MaxRecordBytes = 64 * 1024,
})
{
    /// <summary>The options every <c>aof</c> cluster command of the tests gets: every gateway and the cluster's ids.</summary>
    public IReadOnlyList<string> ConnectionArgs =>
        [.. GatewayPorts.SelectMany(static p => new[] { "--gateway", $"127.0.0.1:{p}" }), "--cluster-id", ClusterId, "--service-id", ServiceId];

    /// <summary>Runs the tool in-process with <paramref name="args"/> and this cluster's connection options; <paramref name="stdin"/> is its input.</summary>
    public async Task<CliRun> RunAsync(byte[]? stdin, params string[] args)
    {
        var stdout = new ConcurrentWriter();
        var stderr = new ConcurrentWriter();
        var environment = new CliEnvironment { Out = stdout, Error = stderr, OutputIsTerminal = false, OpenInput = () => new MemoryStream(stdin ?? []) };
        var code = await AofCli.RunAsync([.. args, .. ConnectionArgs], environment);
        return new CliRun(code, stdout.Text, stderr.Text);
    }
}

/// <summary>The two-silo cluster most tests share.</summary>
public sealed class TwoSiloCluster() : ClusterFixture(new AofTestClusterOptions { Silos = 2 });

/// <summary>One running silo; the log's owners also name <see cref="DownSilo"/>, which never runs: its partitions are unavailable.</summary>
public sealed class ClusterWithADownOwner() : ClusterFixture(new AofTestClusterOptions { Silos = 1, ExtraOwners = [DownSilo] })
{
    public const string DownSilo = "Silo_down";
}

/// <summary>Two silos sharing a file-system archive under the fixture's folder: what a drain needs.</summary>
public sealed class ArchivingTwoSiloCluster() : ClusterFixture(new AofTestClusterOptions { Silos = 2, Archive = TestClusterArchive.FileSystem })
{
    protected override void ConfigureSilo(ISiloBuilder silo) => silo.UseInMemoryReminderService();
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
