using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OrleansAof.TestInfrastructure;

/// <summary>
/// A .NET program of this repository run as a real child process (<c>dotnet &lt;dll&gt; args</c>), the one type the
/// process tests and the scale benchmark use for the silo host and the stream silo. It can be started again after it
/// exited (same arguments and environment), killed (SIGKILL), stopped by SIGTERM, frozen (SIGSTOP) and thawed (SIGCONT).
/// While it may run, its PID is recorded in <c>$AOF_TEST_SERVERS_DIR/{name}.pid</c> so that <c>test.sh</c> stops the
/// leftovers of an interrupted run. Its output (stdout and stderr) is kept; failure messages quote its tail.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private readonly Action<string, bool>? _onLine;
    private Process? _process;

    /// <param name="name">Unique among running children (it names the PID file and failure messages), for example <c>silo-host-aof-0-41234</c>.</param>
    /// <param name="assembly">The program's entry assembly (see <see cref="RepositoryAssembly"/>).</param>
    /// <param name="arguments">Arguments after the assembly, each passed as is; enumerated at each start.</param>
    /// <param name="environment">Environment variables set for the child (besides the inherited ones); read at each start.</param>
    /// <param name="workingDirectory">The child's working directory (created when missing).</param>
    /// <param name="onLine">Called with each line the child writes and whether it came from stderr, after it was kept (on a thread-pool thread).</param>
    public ChildProcess(string name, string assembly, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string workingDirectory, Action<string, bool>? onLine = null)
    {
        Name = name;
        Assembly = assembly;
        Arguments = arguments;
        Environment = environment;
        WorkingDirectory = workingDirectory;
        _onLine = onLine;
    }

    public string Name { get; }

    public string Assembly { get; }

    public IEnumerable<string> Arguments { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    public string WorkingDirectory { get; }

    /// <summary>The PID of the last start, or <see langword="null"/> before the first.</summary>
    public int? ProcessId => _process?.Id;

    /// <summary>Whether the process was started and has exited since (on its own or killed).</summary>
    public bool HasExited => _process is { HasExited: true };

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int? ExitCode => _process is { HasExited: true } process ? process.ExitCode : null;

    /// <summary>Everything the child wrote to stdout and stderr, over every start.</summary>
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

    /// <summary>
    /// Where the PID is recorded while the process may run (<c>$AOF_TEST_SERVERS_DIR</c>), or <see langword="null"/> when
    /// the variable is not set.
    /// </summary>
    public string? PidFile => System.Environment.GetEnvironmentVariable("AOF_TEST_SERVERS_DIR") is { Length: > 0 } dir
        ? Path.Combine(dir, Name + ".pid")
        : null;

    /// <summary>
    /// The entry assembly <c>{project}/bin/{configuration}/net10.0/{name}.dll</c> of a project of this repository, built in
    /// the configuration of the calling test or benchmark (Release or Debug).
    /// </summary>
    /// <param name="projectDirectory">The project's folder relative to the repository root, for example <c>silo-host/OrleansAof.SiloHost</c>.</param>
    public static string RepositoryAssembly(string projectDirectory)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(RepositoryPaths.Root, projectDirectory, "bin", configuration, "net10.0", Path.GetFileName(projectDirectory) + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build the solution first ({configuration}): {Path.GetFileName(path)} is missing.", path);
    }

    /// <summary>The last <paramref name="lines"/> lines of <see cref="Output"/>.</summary>
    public string OutputTail(int lines = 40) => string.Join('\n', Output.Split('\n').TakeLast(lines + 1)).TrimEnd('\n');

    /// <summary>Starts the process (again, after it exited) and records its PID. Does not wait for anything.</summary>
    public async Task StartAsync()
    {
        if (_process is { HasExited: false } running)
        {
            throw new InvalidOperationException($"{Name} is already running (PID {running.Id}).");
        }

        _process?.Dispose();
        Directory.CreateDirectory(WorkingDirectory);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = WorkingDirectory,
        };
        info.ArgumentList.Add(Assembly);
        foreach (var argument in Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in Environment)
        {
            info.Environment[key] = value;
        }

        info.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{Name} did not start: dotnet {Assembly}");
        process.OutputDataReceived += (_, e) => Keep(e.Data, fromStandardError: false);
        process.ErrorDataReceived += (_, e) => Keep(e.Data, fromStandardError: true);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        if (PidFile is { } pidFile)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(pidFile)!);
            await File.WriteAllTextAsync(pidFile, process.Id.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Waits until <paramref name="isReady"/> holds. Fails at once when the process exits, and after
    /// <paramref name="timeout"/>; both messages quote the tail of its output.
    /// </summary>
    /// <param name="isReady">The readiness probe (an HTTP health check, a line in the output, ...).</param>
    /// <param name="what">What readiness means, for the failure message (for example <c>reports ready on /health/ready</c>).</param>
    /// <param name="timeout">How long to wait.</param>
    public async Task WaitReadyAsync(Func<Task<bool>> isReady, string what, TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} was not started.");
        await Wait.UntilAsync(
            async () => process.HasExited
                ? throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} before it {what}. The end of its output:\n{OutputTail()}")
                : await isReady(),
            () => $"{Name} {what} (PID {process.Id}). The end of its output:\n{OutputTail()}",
            timeout);
    }

    /// <summary>Waits until the process exits by itself and returns its exit code; kills it and throws when it still runs after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} was not started.");
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{Name} was still running after {timeout.TotalSeconds:0} s (it was killed). The end of its output:\n{OutputTail()}");
        }

        // The parameterless wait also drains the redirected output.
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    /// <summary>SIGKILL: the process dies at once, without flushing or closing anything.</summary>
    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} was not started.");
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then waits (at most a minute) for the exit; returns the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        await SignalAsync("TERM");
        return await WaitForExitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>SIGSTOP: the process is frozen (no thread runs, its sockets stay open) until <see cref="ContinueAsync"/>.</summary>
    public Task StopAsync() => SignalAsync("STOP");

    /// <summary>SIGCONT: a process frozen by <see cref="StopAsync"/> runs again.</summary>
    public Task ContinueAsync() => SignalAsync("CONT");

    /// <summary>Kills the process when it still runs and removes its PID file.</summary>
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

    private async Task SignalAsync(string signal)
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} was not started.");
        using var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(CultureInfo.InvariantCulture)])
            ?? throw new InvalidOperationException($"kill -{signal} did not start.");
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {process.Id} ({Name}) failed with exit code {kill.ExitCode}.");
        }
    }

    private void Keep(string? line, bool fromStandardError)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        _onLine?.Invoke(line, fromStandardError);
    }
}
