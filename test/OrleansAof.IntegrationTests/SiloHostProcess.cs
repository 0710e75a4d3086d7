using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansAof.Client;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.IntegrationTests;

/// <summary>
/// The silo host running as a real child process (<c>dotnet OrleansAof.SiloHost.dll</c>), configured through environment
/// variables (<see cref="Settings"/>, read at each start). The process itself (PID file, output, signals) is a
/// <see cref="ChildProcess"/>.
/// </summary>
public sealed class SiloHostProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    public SiloHostProcess(string dataRoot, IDictionary<string, string>? settings = null)
    {
        DataRoot = dataRoot;
        SiloPort = FreePort.Find();
        GatewayPort = FreePort.Find();
        HttpPort = FreePort.Find();
        Settings = new Dictionary<string, string>(settings ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["Aof__DataRoot"] = dataRoot,
            ["Aof__SiloPort"] = SiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Aof__GatewayPort"] = GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Aof__HttpPort"] = HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        // A fresh cluster id unless the caller chose one (members of one cluster share theirs).
        Settings.TryAdd("Aof__ClusterId", "it-" + Guid.NewGuid().ToString("N")[..8]);
        _process = new ChildProcess($"silo-host-{Name}-{HttpPort}", HostAssembly(), [], Settings, dataRoot);
    }

    /// <summary>The silo name it was given (<c>Aof__SiloName</c>), or <c>aof-0</c>, the host's default.</summary>
    public string Name => Settings.TryGetValue("Aof__SiloName", out var name) ? name : "aof-0";

    public string DataRoot { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public int HttpPort { get; }

    public Dictionary<string, string> Settings { get; }

    public int? ProcessId => _process.ProcessId;

    /// <summary>Whether the process was started and has exited since (on its own or killed).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int? ExitCode => _process.ExitCode;

    public string Output => _process.Output;

    /// <summary>Where the PID is recorded while the process may run, or <see langword="null"/> when <c>AOF_TEST_SERVERS_DIR</c> is not set.</summary>
    public string? PidFile => _process.PidFile;

    /// <summary>The silo host's entry assembly, built in the same configuration as this test project.</summary>
    public static string HostAssembly() => ChildProcess.RepositoryAssembly(Path.Combine("silo-host", "OrleansAof.SiloHost"));

    /// <summary>Starts the process (again, after it exited: same name, ports and data) and waits until /health/ready answers 200.</summary>
    public async Task StartAsync()
    {
        await _process.StartAsync();
        await WaitReadyAsync();
    }

    /// <summary>
    /// Starts the process and waits for it to exit by itself (a start that must fail); returns the exit code, or throws when
    /// it is still running after <paramref name="timeout"/> (then it is killed).
    /// </summary>
    public async Task<int> RunUntilExitAsync(TimeSpan timeout)
    {
        await _process.StartAsync();
        return await _process.WaitForExitAsync(timeout);
    }

    /// <summary>Whether /health/ready answers 200 right now.</summary>
    public async Task<bool> IsReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            return (await http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/health/ready"))).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>The status code and body of a health endpoint (<c>/health/ready</c> or <c>/health/live</c>).</summary>
    public async Task<(HttpStatusCode Status, string Body)> HealthAsync(string path = "/health/ready")
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}{path}"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Waits until /health/ready answers 200; fails at once when the process exits.</summary>
    public Task WaitReadyAsync() => _process.WaitReadyAsync(IsReadyAsync, "reports ready on /health/ready", TimeSpan.FromSeconds(60));

    /// <summary>SIGKILL: the process dies at once, without flushing or closing anything.</summary>
    public Task KillAsync() => _process.KillAsync();

    /// <summary>SIGTERM, then waits for the exit; returns the exit code.</summary>
    public Task<int> TerminateAsync() => _process.TerminateAsync();

    /// <summary>SIGSTOP: the silo is frozen (it answers nothing, its sockets stay open) until <see cref="ContinueAsync"/>.</summary>
    public Task StopAsync() => _process.StopAsync();

    /// <summary>SIGCONT: a silo frozen by <see cref="StopAsync"/> runs again.</summary>
    public Task ContinueAsync() => _process.ContinueAsync();

    /// <summary>An external Orleans client connected to this silo's gateway.</summary>
    public async Task<IHost> ConnectClientAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(GatewayPort, serviceId: Settings.GetValueOrDefault("Aof__ServiceId", "aof"), clusterId: Settings["Aof__ClusterId"]);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
            client.AddAppendLogClient(o => o.PartitionCounts["orders"] = 2);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}

internal static class ClientHostExtensions
{
    public static IAppendLogClient Logs(this IHost host) => host.Services.GetRequiredService<IAppendLogClient>();
}
