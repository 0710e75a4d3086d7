using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansAof.Client;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.IntegrationTests;

/// <summary>The silo host running as a real child process (<c>dotnet OrleansAof.SiloHost.dll</c>), configured through environment variables.</summary>
public sealed class SiloHostProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private Process? _process;

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
    }

    /// <summary>The silo name it was given (<c>Aof__SiloName</c>), or <c>aof-0</c>, the host's default.</summary>
    public string Name => Settings.TryGetValue("Aof__SiloName", out var name) ? name : "aof-0";

    public string DataRoot { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public int HttpPort { get; }

    public Dictionary<string, string> Settings { get; }

    public int? ProcessId => _process?.Id;

    /// <summary>Whether the process was started and has exited since (on its own or killed).</summary>
    public bool HasExited => _process is { HasExited: true };

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int? ExitCode => _process is { HasExited: true } process ? process.ExitCode : null;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The silo host's entry assembly, built next to this test project in the same configuration.</summary>
    public static string HostAssembly()
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dir = new DirectoryInfo(here);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansAof.sln")))
        {
            dir = dir.Parent;
        }

        if (dir is null)
        {
            throw new InvalidOperationException("OrleansAof.sln was not found above " + here);
        }

        var path = Path.Combine(dir.FullName, "silo-host", "OrleansAof.SiloHost", "bin", configuration, "net10.0", "OrleansAof.SiloHost.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first: the silo host is missing.", path);
    }

    /// <summary>Starts the process (again, after it exited: same name, ports and data) and waits until /health/ready answers 200.</summary>
    public async Task StartAsync()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException($"Silo {Name} is already running (PID {_process.Id}).");
        }

        _process?.Dispose();
        var process = Launch();
        if (PidFile is { } pidFile)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(pidFile)!);
            await File.WriteAllTextAsync(pidFile, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await WaitReadyAsync();
    }

    /// <summary>Starts the silo-host process with <see cref="Settings"/>, its output collected into <see cref="Output"/>.</summary>
    private Process Launch()
    {
        var info = new ProcessStartInfo("dotnet", [HostAssembly()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = DataRoot,
        };
        foreach (var (key, value) in Settings)
        {
            info.Environment[key] = value;
        }

        info.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(info) ?? throw new InvalidOperationException("The silo host did not start.");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        return process;
    }

    /// <summary>
    /// Starts the process and waits for it to exit by itself (a start that must fail); returns the exit code, or throws when
    /// it is still running after <paramref name="timeout"/> (then it is killed).
    /// </summary>
    public async Task<int> RunUntilExitAsync(TimeSpan timeout)
    {
        var process = Launch();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The silo host was still running after {timeout.TotalSeconds:0} s; it should have refused its configuration:\n{Output}");
        }

        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    /// <summary>
    /// Where the PID is recorded while the process may run (<c>$AOF_TEST_SERVERS_DIR</c>, so that <c>test.sh</c> stops
    /// the leftovers of an interrupted run), or <see langword="null"/> when the variable is not set.
    /// </summary>
    public string? PidFile => Environment.GetEnvironmentVariable("AOF_TEST_SERVERS_DIR") is { Length: > 0 } dir
        ? Path.Combine(dir, $"silo-host-{Name}-{HttpPort}.pid")
        : null;

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
    public async Task WaitReadyAsync()
    {
        var process = _process ?? throw new InvalidOperationException("Not started.");
        await Wait.UntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"The silo host {Name} exited with code {process.ExitCode}:\n{Output}");
                }

                return await IsReadyAsync();
            },
            $"the silo host {Name} reports ready on /health/ready",
            TimeSpan.FromSeconds(60));
    }

    /// <summary>SIGKILL: the process dies at once, without flushing or closing anything.</summary>
    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException("Not started.");
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then waits for the exit; returns the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        var process = _process ?? throw new InvalidOperationException("Not started.");
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill!.WaitForExitAsync();
        }

        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return process.ExitCode;
    }

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

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        if (PidFile is { } pidFile)
        {
            File.Delete(pidFile);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}

internal static class ClientHostExtensions
{
    public static IAppendLogClient Logs(this IHost host) => host.Services.GetRequiredService<IAppendLogClient>();
}
