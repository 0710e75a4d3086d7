using System.Diagnostics;
using System.Globalization;
using System.Text;
using OrleansAof.StreamSilo;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Streams.ProcessTests;

/// <summary>
/// The stream silo (<c>dotnet OrleansAof.StreamSilo.dll --Name=value ...</c>) as a real child process: started, SIGKILLed
/// and started again with the same name, ports and data folder. Its output is kept (the stream receivers log the
/// partitions they start reading).
/// </summary>
public sealed class StreamSiloProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private Process? _process;
    private int _readyLines;

    public StreamSiloProcess(string name, string dataRoot, IDictionary<string, string> settings)
    {
        Name = name;
        DataRoot = dataRoot;
        SiloPort = FreePort.Find();
        GatewayPort = FreePort.Find();
        Settings = new Dictionary<string, string>(settings, StringComparer.Ordinal)
        {
            ["SiloName"] = name,
            ["DataRoot"] = dataRoot,
            ["SiloPort"] = SiloPort.ToString(CultureInfo.InvariantCulture),
            ["GatewayPort"] = GatewayPort.ToString(CultureInfo.InvariantCulture),
        };
    }

    public string Name { get; }

    public string DataRoot { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public Dictionary<string, string> Settings { get; }

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

    /// <summary>The silo's entry assembly, built in the same configuration as this test project.</summary>
    public static string SiloAssembly()
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(RepositoryPaths.Root, "test", "OrleansAof.StreamSilo", "bin", configuration, "net10.0", "OrleansAof.StreamSilo.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first: the stream silo is missing.", path);
    }

    /// <summary>Starts the process (again, after it was killed) and waits until it prints that it started.</summary>
    public async Task StartAsync()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException($"Silo {Name} is already running.");
        }

        _process?.Dispose();
        Directory.CreateDirectory(DataRoot);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = DataRoot,
        };
        info.ArgumentList.Add(SiloAssembly());
        foreach (var (key, value) in Settings)
        {
            info.ArgumentList.Add($"--{key}={value}");
        }

        info.Environment["DOTNET_gcServer"] = "0";
        var ready = _readyLines + 1;
        var process = Process.Start(info) ?? throw new InvalidOperationException("The stream silo did not start.");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        if (PidFile is { } pidFile)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(pidFile)!);
            await File.WriteAllTextAsync(pidFile, process.Id.ToString(CultureInfo.InvariantCulture));
        }

        await Wait.UntilAsync(
            () => process.HasExited ? throw new InvalidOperationException($"Silo {Name} exited with code {process.ExitCode}:\n{Output}") : _readyLines >= ready,
            $"silo {Name} prints '{StreamSiloSettings.ReadyLine}'",
            TimeSpan.FromSeconds(90));
    }

    /// <summary>
    /// Where the PID is recorded while the process may run (<c>$AOF_TEST_SERVERS_DIR</c>, so that <c>test.sh</c> stops the
    /// leftovers of an interrupted run), or <see langword="null"/> when the variable is not set.
    /// </summary>
    public string? PidFile => Environment.GetEnvironmentVariable("AOF_TEST_SERVERS_DIR") is { Length: > 0 } dir
        ? Path.Combine(dir, $"stream-silo-{Name}-{SiloPort}.pid")
        : null;

    /// <summary>SIGKILL: the process dies at once, without flushing or closing anything.</summary>
    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException("Not started.");
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>The partitions of the stream log this silo's pulling agents started reading (in order, over every run).</summary>
    public IReadOnlyList<string> StartedReceivers()
    {
        const string marker = "Stream receiver of partition ";
        var partitions = new List<string>();
        foreach (var line in Output.Split('\n'))
        {
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                var rest = line[(at + marker.Length)..];
                partitions.Add(rest[..rest.IndexOf(' ', StringComparison.Ordinal)]);
            }
        }

        return partitions;
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
            if (line.Contains(StreamSiloSettings.ReadyLine, StringComparison.Ordinal))
            {
                _readyLines++;
            }
        }
    }
}
