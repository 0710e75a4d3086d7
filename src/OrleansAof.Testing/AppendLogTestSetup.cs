using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansAof.Server;
using OrleansAof.Server.Ownership;

namespace OrleansAof.Testing;

/// <summary>
/// What <c>AddAppendLog</c> set up for one test cluster: its temporary folders and the silos that own partitions.
/// The folders are deleted when the cluster is disposed (when its last silo and its client have been disposed); a silo
/// that is killed or stopped and started again keeps its folder, so restarts see their data.
/// </summary>
public sealed class AppendLogTestSetup
{
    private readonly AppendLogTestOptions _options;
    private readonly Func<IReadOnlyList<string>> _initialSiloNames;
    private readonly Lazy<AppendLogOptions> _probe;
    private readonly Lock _lock = new();
    private int _holders;
    private bool _deleted;

    internal AppendLogTestSetup(AppendLogTestOptions options, Func<IReadOnlyList<string>> initialSiloNames)
    {
        _options = options;
        _initialSiloNames = initialSiloNames;
        var parent = Path.GetFullPath(options.TempRoot ?? Path.Combine(Path.GetTempPath(), "orleans-aof-tests"));
        RootPath = Path.Combine(parent, "aof-" + Guid.NewGuid().ToString("N"));
        ArchiveRoot = options.FileSystemArchive ? Path.Combine(RootPath, "archive") : null;
        _probe = new Lazy<AppendLogOptions>(() =>
        {
            var probe = new AppendLogOptions();
            ApplyLogSettings(probe, siloName: null);
            return probe;
        });
    }

    /// <summary>The cluster's temporary folder: <see cref="DataRoot"/> and <see cref="ArchiveRoot"/> are inside it.</summary>
    public string RootPath { get; }

    /// <summary>
    /// <see cref="AppendLogOptions.DataRoot"/> of every silo; with <see cref="AppendLogOptions.DataRootPerSilo"/> each
    /// silo keeps its partitions under <c>{DataRoot}/{silo name}</c> (<see cref="DataRootOf"/>).
    /// </summary>
    public string DataRoot => Path.Combine(RootPath, "data");

    /// <summary>The folder archive shared by the silos, or null when <see cref="AppendLogTestOptions.FileSystemArchive"/> is off.</summary>
    public string? ArchiveRoot { get; }

    /// <summary>
    /// The silos that own partitions (<see cref="AppendLogOptions.Silos"/>): the names of the cluster's initial silos
    /// unless <see cref="AppendLogTestOptions.ConfigureLog"/> set others. Silos started later own nothing unless named.
    /// </summary>
    public IReadOnlyList<string> OwnerSilos => [.. _probe.Value.Silos];

    /// <summary>The folder that holds the partitions of the silo named <paramref name="siloName"/>.</summary>
    public string DataRootOf(string siloName)
    {
        ArgumentException.ThrowIfNullOrEmpty(siloName);
        return Path.Combine(DataRoot, siloName);
    }

    /// <summary>
    /// The silo that owns <paramref name="log"/>/<paramref name="partition"/> by configuration (rendezvous hashing over
    /// <see cref="OwnerSilos"/> and <see cref="AppendLogOptions.OwnerOverrides"/>); a drain moves ownership at run time.
    /// </summary>
    public string OwnerOf(string log, string partition)
    {
        PartitionKey.Format(log, partition);
        return new PartitionOwnership(Microsoft.Extensions.Options.Options.Create(_probe.Value)).OwnerOf(log, partition)
            ?? throw new InvalidOperationException("No owner silos are configured: AppendLogOptions.Silos is empty.");
    }

    /// <summary>The first partition (<c>"0"</c>, <c>"1"</c>, ...) of <paramref name="log"/> that <paramref name="siloName"/> owns.</summary>
    /// <exception cref="InvalidOperationException">None of the first <paramref name="searchLimit"/> partitions is owned by that silo.</exception>
    public string PartitionOwnedBy(string log, string siloName, int searchLimit = 1024)
    {
        ArgumentException.ThrowIfNullOrEmpty(siloName);
        for (var i = 0; i < searchLimit; i++)
        {
            var partition = i.ToString(CultureInfo.InvariantCulture);
            if (OwnerOf(log, partition) == siloName)
            {
                return partition;
            }
        }

        throw new InvalidOperationException($"Silo '{siloName}' owns none of partitions 0 to {searchLimit - 1} of log '{log}'; owner silos: {string.Join(", ", OwnerSilos)}.");
    }

    /// <summary>Adds the log, the archive and the membership settings to one silo, and ties the folders' life to it.</summary>
    internal void ConfigureSilo(ISiloBuilder silo, string? siloName)
    {
        silo.AddAppendLog(o => ApplyLogSettings(o, siloName));
        if (ArchiveRoot is { } archive)
        {
            silo.AddAppendLogFileSystemArchive(o => o.RootPath = archive);
            if (!silo.Services.Any(d => d.ServiceType == typeof(IReminderTable)))
            {
                silo.UseInMemoryReminderService();
            }

            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        }

        if (_options.FastMembership)
        {
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromMilliseconds(500);
                o.NumMissedProbesLimit = 1;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromMilliseconds(500);
            });
        }

        silo.Services.AddSingleton<IHostedService>(_ => new Holder(this));
    }

    /// <summary>Adds the client API to the cluster client, and ties the folders' life to it.</summary>
    internal void ConfigureClient(IClientBuilder client)
    {
        client.AddAppendLogClient(_options.ConfigureClient);
        client.Services.AddSingleton<IHostedService>(_ => new Holder(this));
    }

    private void ApplyLogSettings(AppendLogOptions o, string? siloName)
    {
        o.DataRoot = DataRoot;
        o.DataRootPerSilo = true;
        if (siloName is not null)
        {
            o.SiloName = siloName;
        }

        o.Silos = [.. _initialSiloNames()];
        o.Preallocation = Storage.PreallocationMode.None;
        _options.ConfigureLog?.Invoke(o);
    }

    private void Acquire()
    {
        lock (_lock)
        {
            if (_deleted)
            {
                throw new InvalidOperationException(
                    $"The append log's test folder {RootPath} was deleted when the cluster's last silo and client were disposed; a silo cannot start on it again.");
            }

            _holders++;
            Directory.CreateDirectory(RootPath);
        }
    }

    private void Release()
    {
        lock (_lock)
        {
            if (--_holders > 0)
            {
                return;
            }

            _deleted = true;
            TestClusterRegistry.Remove(this);
            try
            {
                Directory.Delete(RootPath, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
            catch (IOException)
            {
                // Windows refuses to delete files a killed silo still has open; the folder is under the temp folder.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>
    /// Held by every silo host and client host of the cluster from its start to its disposal: the last one out deletes the
    /// folders. A killed silo is disposed too, but the client (or another silo) still holds them, so a restart finds its data.
    /// </summary>
    private sealed class Holder : IHostedService, IDisposable
    {
        private AppendLogTestSetup? _setup;

        public Holder(AppendLogTestSetup setup)
        {
            setup.Acquire();
            _setup = setup;
        }

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose() => Interlocked.Exchange(ref _setup, null)?.Release();
    }
}
