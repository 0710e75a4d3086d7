using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansAof.Client;

namespace OrleansAof.Cli.Cluster;

/// <summary>How the tool reaches a cluster: static gateways or Redis membership, the cluster's ids and a connect timeout.</summary>
/// <param name="Gateways">Gateway endpoints (<c>host:port</c>); used when <paramref name="Redis"/> is not set.</param>
/// <param name="Redis">A StackExchange.Redis configuration string: find the gateways in the cluster's Redis membership table.</param>
/// <param name="ClusterId">The cluster id (the silo host's <c>Aof:ClusterId</c>).</param>
/// <param name="ServiceId">The service id (the silo host's <c>Aof:ServiceId</c>).</param>
/// <param name="ConnectTimeout">How long to keep trying to connect.</param>
internal sealed record ClusterConnectionSettings(IReadOnlyList<string> Gateways, string? Redis, string ClusterId, string ServiceId, TimeSpan ConnectTimeout)
{
    /// <summary>The gateway the silo host listens on by default (<c>Aof:GatewayPort</c> 30000 on localhost).</summary>
    public const string DefaultGateway = "127.0.0.1:30000";

    /// <summary>The port of a <c>--gateway</c> given without one.</summary>
    public const int DefaultGatewayPort = 30000;

    /// <summary>The default of <c>Aof:ClusterId</c> and <c>Aof:ServiceId</c>.</summary>
    public const string DefaultId = "aof";

    /// <summary>Says where the tool connects, for messages.</summary>
    public string Describe() => Redis is not null
        ? $"the Redis membership at {RedactRedis(Redis)} (cluster id '{ClusterId}', service id '{ServiceId}')"
        : $"gateway {string.Join(", ", Gateways)} (cluster id '{ClusterId}')";

    /// <summary>Parses <c>host:port</c>, <c>[v6]:port</c> or <c>host</c> (port 30000).</summary>
    /// <exception cref="ArgumentException">Not an endpoint.</exception>
    public static async Task<IPEndPoint> ResolveAsync(string gateway, CancellationToken cancellationToken)
    {
        if (IPEndPoint.TryParse(gateway, out var endpoint) && endpoint.Port != 0)
        {
            return endpoint;
        }

        if (IPAddress.TryParse(gateway, out var bare))
        {
            return new IPEndPoint(bare, DefaultGatewayPort);
        }

        var colon = gateway.LastIndexOf(':');
        var host = colon < 0 ? gateway : gateway[..colon];
        var port = DefaultGatewayPort;
        if (colon >= 0 && (!int.TryParse(gateway[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            throw new ArgumentException($"--gateway '{gateway}' is not host:port (port 1-65535).", nameof(gateway));
        }

        if (host.Length == 0)
        {
            throw new ArgumentException($"--gateway '{gateway}' has no host.", nameof(gateway));
        }

        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new ClusterUnreachableException($"The gateway host '{host}' could not be resolved: {e.Message}", e);
        }

        var address = Array.Find(addresses, static a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ClusterUnreachableException($"The gateway host '{host}' has no address.");
        return new IPEndPoint(address, port);
    }

    /// <summary>The Redis configuration without a password, for messages.</summary>
    private static string RedactRedis(string configuration) => string.Join(',', configuration.Split(',').Select(static part =>
        part.TrimStart().StartsWith("password=", StringComparison.OrdinalIgnoreCase) ? "password=***" : part));
}

/// <summary>The cluster could not be reached: no gateway answered within the connect timeout, or the membership store is unreachable.</summary>
internal sealed class ClusterUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A connected Orleans client for one command; disposing it disconnects.</summary>
internal sealed class ClusterSession : IAsyncDisposable
{
    /// <summary>How long a call may take before it fails with a <see cref="TimeoutException"/>, unless the command says otherwise.</summary>
    public static readonly TimeSpan DefaultResponseTimeout = TimeSpan.FromSeconds(30);

    private readonly IHost _host;

    private ClusterSession(IHost host, ClusterConnectionSettings settings)
    {
        _host = host;
        Settings = settings;
        Client = host.Services.GetRequiredService<IClusterClient>();
        Logs = host.Services.GetRequiredService<IAppendLogClient>();
    }

    /// <summary>Where the session is connected.</summary>
    public ClusterConnectionSettings Settings { get; }

    /// <summary>The Orleans client.</summary>
    public IClusterClient Client { get; }

    /// <summary>The append log client (log handles, tails).</summary>
    public IAppendLogClient Logs { get; }

    /// <summary>
    /// Connects, retrying until <see cref="ClusterConnectionSettings.ConnectTimeout"/> passes (a silo that is still
    /// starting is waited for). <paramref name="partitionCount"/> is the partition count of every log (for <c>--key</c>).
    /// </summary>
    /// <exception cref="ClusterUnreachableException">No connection within the timeout.</exception>
    public static async Task<ClusterSession> ConnectAsync(ClusterConnectionSettings settings, int partitionCount, CancellationToken cancellationToken, TimeSpan? responseTimeout = null)
    {
        var endpoints = new List<IPEndPoint>();
        if (settings.Redis is null)
        {
            foreach (var gateway in settings.Gateways)
            {
                endpoints.Add(await ClusterConnectionSettings.ResolveAsync(gateway, cancellationToken));
            }
        }

        var retry = new ConnectRetryFilter();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            if (settings.Redis is { } redis)
            {
                client.UseRedisClustering(redis);
            }
            else
            {
                client.UseStaticClustering([.. endpoints]);
            }

            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = settings.ServiceId;
            });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = responseTimeout ?? DefaultResponseTimeout);
            client.Configure<ConnectionOptions>(o => o.OpenConnectionTimeout = settings.ConnectTimeout);
            client.AddAppendLogClient(o => o.DefaultPartitionCount = partitionCount);
            client.Services.AddSingleton<IClientConnectionRetryFilter>(retry);
        });

        // The tool handles Ctrl+C and SIGTERM itself (they cancel the command); the host must not stop the client under it.
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();

        var host = builder.Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.ConnectTimeout);
        try
        {
            await host.StartAsync(timeout.Token).WaitAsync(timeout.Token);
            return new ClusterSession(host, settings);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            await StopQuietlyAsync(host);
            var cause = retry.LastError ?? (e is OperationCanceledException ? null : e);
            throw new ClusterUnreachableException(
                $"Could not connect to {settings.Describe()} within {settings.ConnectTimeout.TotalSeconds:0.###} s"
                + (cause is null ? "." : $": {cause.GetType().Name}: {FirstLine(cause.Message)}"),
                cause);
        }
        catch
        {
            await StopQuietlyAsync(host);
            throw;
        }
    }

    /// <summary>Disconnects.</summary>
    public async ValueTask DisposeAsync() => await StopQuietlyAsync(_host);

    private static async Task StopQuietlyAsync(IHost host)
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await host.StopAsync(stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or InvalidOperationException or Orleans.Runtime.OrleansException)
        {
            // A client that never connected, or a cluster that went away: nothing left to close cleanly.
        }

        host.Dispose();
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd();

    /// <summary>A host lifetime that leaves signals to the tool.</summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Keeps trying until the connect timeout cancels the start, remembering the last error for the message.</summary>
    private sealed class ConnectRetryFilter : IClientConnectionRetryFilter
    {
        public Exception? LastError { get; private set; }

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            LastError = exception;
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }
}
