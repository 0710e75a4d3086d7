using System.Globalization;
using OrleansAof.StreamSilo;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Streams.ProcessTests;

/// <summary>
/// The stream silo (<c>dotnet OrleansAof.StreamSilo.dll --Name=value ...</c>) as a real child process: started, SIGKILLed
/// and started again with the same name, ports and data folder. Its output is kept (the stream receivers log the
/// partitions they start reading). The process itself (PID file, output, signals) is a <see cref="ChildProcess"/>.
/// </summary>
public sealed class StreamSiloProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;
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
        _process = new ChildProcess(
            $"stream-silo-{name}-{SiloPort}",
            SiloAssembly(),
            Settings.Select(s => $"--{s.Key}={s.Value}"),
            new Dictionary<string, string>(StringComparer.Ordinal),
            dataRoot,
            (line, _) => CountReadyLine(line));
    }

    public string Name { get; }

    public string DataRoot { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public Dictionary<string, string> Settings { get; }

    public string Output => _process.Output;

    /// <summary>Where the PID is recorded while the process may run, or <see langword="null"/> when <c>AOF_TEST_SERVERS_DIR</c> is not set.</summary>
    public string? PidFile => _process.PidFile;

    /// <summary>The silo's entry assembly, built in the same configuration as this test project.</summary>
    public static string SiloAssembly() => ChildProcess.RepositoryAssembly(Path.Combine("test", "OrleansAof.StreamSilo"));

    /// <summary>Starts the process (again, after it was killed) and waits until it prints that it started.</summary>
    public async Task StartAsync()
    {
        var ready = Volatile.Read(ref _readyLines) + 1;
        await _process.StartAsync();
        await _process.WaitReadyAsync(
            () => Task.FromResult(Volatile.Read(ref _readyLines) >= ready),
            $"prints '{StreamSiloSettings.ReadyLine}'",
            TimeSpan.FromSeconds(90));
    }

    /// <summary>SIGKILL: the process dies at once, without flushing or closing anything.</summary>
    public Task KillAsync() => _process.KillAsync();

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

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private void CountReadyLine(string line)
    {
        if (line.Contains(StreamSiloSettings.ReadyLine, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _readyLines);
        }
    }
}
