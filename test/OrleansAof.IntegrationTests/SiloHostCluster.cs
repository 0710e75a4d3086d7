using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansAof.TestInfrastructure;
using StackExchange.Redis;

namespace OrleansAof.IntegrationTests;

/// <summary>
/// Silo-host child processes forming one cluster over a real Redis (membership and reminders), each with a stable name
/// (<c>aof-0</c>, <c>aof-1</c>, ...), its own data folder and ports, and <c>Aof:Silos</c> listing every name, the way the
/// StatefulSet in <c>k8s/base</c> runs them, archiving to the s3rver of <see cref="ClusterServers"/> under the cluster id
/// as key prefix. The cluster id is fresh, so entries Redis and s3rver keep from earlier tests never mix in.
/// </summary>
public sealed class SiloHostCluster : IAsyncDisposable
{
    private readonly TempDirectory _data = new("cluster");
    private ConnectionMultiplexer? _redisConnection;

    /// <param name="servers">Redis and s3rver.</param>
    /// <param name="size">How many silos.</param>
    /// <param name="settings">Settings of every silo.</param>
    /// <param name="owners">How many of the silos (the first ones) are in <c>Aof:Silos</c>; default all.</param>
    public SiloHostCluster(ClusterServers servers, int size, IDictionary<string, string>? settings = null, int? owners = null)
    {
        var redis = servers.Redis;
        Redis = redis;
        ClusterId = "k8s-" + Guid.NewGuid().ToString("N")[..12];
        Names = [.. Enumerable.Range(0, size).Select(i => "aof-" + i.ToString(CultureInfo.InvariantCulture))];
        Silos = [.. Names.Select(name =>
        {
            var dataRoot = _data.Combine(name);
            Directory.CreateDirectory(dataRoot);
            var siloSettings = new Dictionary<string, string>(settings ?? new Dictionary<string, string>(), StringComparer.Ordinal)
            {
                ["Aof__SiloName"] = name,
                ["Aof__Silos"] = string.Join(',', Names.Take(owners ?? size)),
                ["Aof__ClusterId"] = ClusterId,

                // Its own service id too: grain state (subscriber checkpoints, the ownership table, each partition's id
                // bound) belongs to a service, and these tests share one Redis.
                ["Aof__ServiceId"] = ClusterId,
                ["Aof__Clustering"] = "Redis",
                ["Aof__ClusteringConnectionString"] = redis.ConnectionString,
                ["Aof__Reminders"] = "Redis",
                ["Aof__Archive"] = "S3",
                ["Aof__S3ServiceUrl"] = servers.S3.ServiceUrl,
                ["Aof__S3Bucket"] = ClusterServers.Bucket,
                ["Aof__S3Prefix"] = ClusterId,
                ["Aof__S3ForcePathStyle"] = "true",
                ["Aof__S3CompatibilityMode"] = "true",
                ["Aof__S3AccessKey"] = S3rverServer.AccessKey,
                ["Aof__S3SecretKey"] = S3rverServer.SecretKey,
                ["Aof__S3Region"] = "us-east-1",
            };
            return new SiloHostProcess(dataRoot, siloSettings);
        })];
    }

    public RedisServer Redis { get; }

    public string ClusterId { get; }

    public IReadOnlyList<string> Names { get; }

    public IReadOnlyList<SiloHostProcess> Silos { get; }

    public SiloHostProcess this[string name] => Silos.Single(s => s.Name == name);

    /// <summary>Starts every silo at once and waits until each one reports ready.</summary>
    public Task StartAsync() => Task.WhenAll(Silos.Select(s => s.StartAsync()));

    /// <summary>
    /// An Orleans client that finds the gateways in Redis (as an application in the cluster would), with the append log
    /// client API and <paramref name="partitionCount"/> partitions for <paramref name="log"/>.
    /// </summary>
    public async Task<IHost> ConnectClientAsync(string log, int partitionCount, TimeSpan responseTimeout)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterId;
                o.ServiceId = ClusterId;
            });
            client.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(Redis.ConnectionString));
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = responseTimeout);
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(10));
            client.AddAppendLogClient(o => o.PartitionCounts[log] = partitionCount);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>
    /// The membership status of the newest incarnation of silo <paramref name="name"/> as the cluster recorded it in Redis
    /// (Orleans' Redis membership table: hash <c>{ServiceId}/members/{ClusterId}</c>, the service id being the cluster id here, one JSON entry per silo incarnation),
    /// or null before it joined. Read straight from Redis, so it does not depend on any silo or gateway being reachable.
    /// </summary>
    public async Task<SiloStatus?> MembershipStatusAsync(string name)
    {
        _redisConnection ??= await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        var entries = await _redisConnection.GetDatabase().HashGetAllAsync($"{ClusterId}/members/{ClusterId}");
        SiloStatus? newest = null;
        var newestStart = DateTime.MinValue;
        foreach (var entry in entries)
        {
            if (!entry.Name.ToString().StartsWith('S'))
            {
                continue; // the table's version field
            }

            using var json = JsonDocument.Parse(entry.Value.ToString());
            var root = json.RootElement;
            var start = root.GetProperty("StartTime").GetDateTime();
            if (root.GetProperty("SiloName").GetString() == name && start > newestStart)
            {
                newestStart = start;
                newest = (SiloStatus)root.GetProperty("Status").GetInt32();
            }
        }

        return newest;
    }

    /// <summary>The last lines of every silo's output, for failure messages.</summary>
    public string OutputTail(int lines = 30) => string.Join(
        Environment.NewLine,
        Silos.Select(s => $"--- {s.Name} ---{Environment.NewLine}{string.Join(Environment.NewLine, s.Output.Split('\n').TakeLast(lines))}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Silos)
        {
            await silo.DisposeAsync();
        }

        if (_redisConnection is not null)
        {
            await _redisConnection.DisposeAsync();
        }

        _data.Dispose();
    }
}
