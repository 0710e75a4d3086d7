using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansAof.StreamSilo;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Streams.ProcessTests;

/// <summary>The Redis server of the stream process tests (membership and every grain storage); each cluster uses its own id.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private RedisServer? _redis;

    public RedisServer Redis => _redis ?? throw new InvalidOperationException("Redis did not start.");

    public async Task InitializeAsync() => _redis = await RedisServer.StartNewAsync();

    public Task DisposeAsync()
    {
        _redis?.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class StreamProcessGroup : ICollectionFixture<RedisFixture>
{
    public const string Name = "stream silo processes over Redis";
}

/// <summary>Stream silo processes <c>s0</c>, <c>s1</c>, ... of one fresh cluster id, each with its own data folder and ports.</summary>
public sealed class StreamSiloCluster : IAsyncDisposable
{
    private readonly TempDirectory _data = new("streams");

    /// <param name="redis">Membership and grain storage.</param>
    /// <param name="size">How many silos.</param>
    /// <param name="owners">How many of them (the first ones) own partitions.</param>
    /// <param name="settings">More settings of every silo (<see cref="StreamSiloSettings"/>).</param>
    public StreamSiloCluster(RedisServer redis, int size, int owners, IDictionary<string, string>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ClusterId = "streams-" + Guid.NewGuid().ToString("N")[..12];
        Partitions = settings is not null && settings.TryGetValue("Partitions", out var p) ? int.Parse(p, CultureInfo.InvariantCulture) : 8;
        var names = Enumerable.Range(0, size).Select(i => "s" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        Silos = [.. names.Select(name => new StreamSiloProcess(name, _data.Combine(name), new Dictionary<string, string>(settings ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["ClusterId"] = ClusterId,
            ["Redis"] = redis.ConnectionString,
            ["Owners"] = string.Join(',', names.Take(owners)),
            ["Partitions"] = Partitions.ToString(CultureInfo.InvariantCulture),
        }))];
    }

    public string ClusterId { get; }

    public int Partitions { get; }

    public IReadOnlyList<StreamSiloProcess> Silos { get; }

    public StreamSiloProcess this[string name] => Silos.Single(s => s.Name == name);

    /// <summary>Starts every silo (the first one alone first, so that it is the cluster's first member) and waits until each has started.</summary>
    public async Task StartAsync()
    {
        await Silos[0].StartAsync();
        await Task.WhenAll(Silos.Skip(1).Select(s => s.StartAsync()));
    }

    /// <summary>An Orleans client that talks through the gateways of <paramref name="gateways"/> only, with the stream provider.</summary>
    public async Task<IHost> ConnectClientAsync(params StreamSiloProcess[] gateways)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterId;
                o.ServiceId = ClusterId;
            });
            client.UseStaticClustering([.. gateways.Select(g => new IPEndPoint(IPAddress.Loopback, g.GatewayPort))]);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(15));
            client.AddAppendLogStreams(StreamSiloSettings.Provider, o =>
            {
                o.Log = StreamSiloSettings.Provider;
                o.Partitions = Partitions;
            });
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>The partition (queue) stream <paramref name="streamId"/> maps to, as every client and silo computes it.</summary>
    public static string PartitionOf(IHost client, StreamId streamId) =>
        AppendLogQueueAdapterFactory.Create(client.Services, StreamSiloSettings.Provider).PartitionOf(streamId);

    /// <summary>The last lines of every silo's output, for failure messages.</summary>
    public string OutputTail(int lines = 40) => string.Join(
        Environment.NewLine,
        Silos.Select(s => $"--- {s.Name} ---{Environment.NewLine}{string.Join(Environment.NewLine, s.Output.Split('\n').TakeLast(lines))}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Silos)
        {
            await silo.DisposeAsync();
        }

        _data.Dispose();
    }
}

internal static class HostExtensions
{
    public static IClusterClient Orleans(this IHost host) => host.Services.GetRequiredService<IClusterClient>();
}
