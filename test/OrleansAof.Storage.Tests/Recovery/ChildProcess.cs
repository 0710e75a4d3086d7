using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>
/// The OrleansAof.CrashWriter child process (built with the tests and copied next to them). Its stdout is read as complete
/// lines that end with " ." (a line cut by a kill is dropped); waits are on lines, never on time.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _sync = new();
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];
    private readonly StringBuilder _stderr = new();
    private readonly Action<string>? _onLine;
    private readonly Task _stdout;
    private readonly Task _stderrPump;

    private ChildProcess(Process process, Action<string>? onLine)
    {
        _process = process;
        _onLine = onLine;
        _stdout = Task.Run(PumpStdoutAsync);
        _stderrPump = Task.Run(async () =>
        {
            var text = await process.StandardError.ReadToEndAsync();
            lock (_sync)
            {
                _stderr.Append(text);
            }
        });
    }

    public int Id => _process.Id;

    public string StandardError
    {
        get
        {
            lock (_sync)
            {
                return _stderr.ToString();
            }
        }
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_sync)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>The CrashWriter dll next to the test assembly.</summary>
    public static string CrashWriterPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "OrleansAof.CrashWriter.dll");
            return File.Exists(path) && File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json"))
                ? path
                : throw new FileNotFoundException("OrleansAof.CrashWriter.dll (and its runtimeconfig) must be next to the tests; the test project references the CrashWriter project so that it is.", path);
        }
    }

    /// <summary>The dotnet host that runs this process's runtime.</summary>
    public static string DotnetHost
    {
        get
        {
            var fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(fromCli) && File.Exists(fromCli))
            {
                return fromCli;
            }

            // {root}/shared/Microsoft.NETCore.App/{version}/ -> {root}/dotnet
            var runtime = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar);
            var root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(runtime)))!;
            var host = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
            return File.Exists(host) ? host : "dotnet";
        }
    }

    /// <summary>Starts the CrashWriter with <paramref name="args"/>; <paramref name="onLine"/> sees every complete line, on the reader thread.</summary>
    public static ChildProcess Start(IEnumerable<string> args, Action<string>? onLine = null)
    {
        var info = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(CrashWriterPath);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("the CrashWriter process did not start");
        return new ChildProcess(process, onLine);
    }

    /// <summary>Completes with the first line (seen so far or later) that matches.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, string what, TimeSpan? timeout = null)
    {
        TaskCompletionSource<string> seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_sync)
        {
            var line = _lines.Find(l => match(l));
            if (line is not null)
            {
                return Task.FromResult(line);
            }

            _waiters.Add((match, seen));
        }

        return Wait.ForAsync(WithExitCheck(seen.Task, what), what, timeout);
    }

    /// <summary>Kills the process with SIGKILL (Process.Kill on Unix) and waits until it is gone and its output is read.</summary>
    public async Task<int> KillAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // It exited on its own already; the exit code tells.
        }

        return await WaitForExitAsync();
    }

    /// <summary>Waits until the process exits and its output is read.</summary>
    public async Task<int> WaitForExitAsync()
    {
        await Wait.ForAsync(_process.WaitForExitAsync(), $"child process {_process.Id} to exit");
        await Wait.ForAsync(Task.WhenAll(_stdout, _stderrPump), $"the output of child process {_process.Id} to be read");
        return _process.ExitCode;
    }

    /// <summary>Closes the child's stdin (the hold modes release what they hold and exit).</summary>
    public void CloseInput() => _process.StandardInput.Close();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task<string> WithExitCheck(Task<string> seen, string what)
    {
        var exited = _process.WaitForExitAsync();
        if (await Task.WhenAny(seen, exited) == seen)
        {
            return await seen;
        }

        await Task.WhenAll(_stdout, _stderrPump);
        return seen.IsCompleted
            ? await seen
            : throw new InvalidOperationException($"child process {_process.Id} exited with code {_process.ExitCode} before {what}; stderr: {StandardError}");
    }

    private async Task PumpStdoutAsync()
    {
        var stream = _process.StandardOutput.BaseStream;
        var buffer = new byte[64 * 1024];
        var pending = new List<byte>();
        while (true)
        {
            var n = await stream.ReadAsync(buffer);
            if (n == 0)
            {
                // A line without its newline was cut by the kill: it was never complete, so it never happened.
                return;
            }

            for (var i = 0; i < n; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    pending.Add(buffer[i]);
                    continue;
                }

                var line = Encoding.ASCII.GetString([.. pending]);
                pending.Clear();
                if (!line.EndsWith(" .", StringComparison.Ordinal))
                {
                    continue;
                }

                line = line[..^2];
                _onLine?.Invoke(line);
                List<TaskCompletionSource<string>> matched = [];
                lock (_sync)
                {
                    _lines.Add(line);
                    for (var w = _waiters.Count - 1; w >= 0; w--)
                    {
                        if (_waiters[w].Match(line))
                        {
                            matched.Add(_waiters[w].Seen);
                            _waiters.RemoveAt(w);
                        }
                    }
                }

                foreach (var m in matched)
                {
                    m.TrySetResult(line);
                }
            }
        }
    }
}
