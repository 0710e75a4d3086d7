using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansAof.Client;

namespace OrleansAof.Cli.Cluster;

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
