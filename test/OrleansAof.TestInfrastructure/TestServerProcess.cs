using System.Collections.Concurrent;
using System.Diagnostics;

namespace OrleansAof.TestInfrastructure;

/// <summary>
/// A server process a test fixture starts (s3rver, redis-server, ...): started with fixed arguments, recorded in
/// <c>$AOF_TEST_SERVERS_DIR/{name}.pid</c> while it runs (so <c>test.sh</c> can stop leftovers of an interrupted run),
/// probed until it answers, and stopped by its PID. It can be stopped and started again with the same arguments, to
/// simulate an outage. Its recent output is kept for failure messages.
/// </summary>
public sealed class TestServerProcess : IDisposable
{
    private const int KeptOutputLines = 40;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Lock _sync = new();
    private Process? _process;

    /// <param name="name">Unique among running servers (it names the PID file), for example <c>s3rver-41234</c>.</param>
    /// <param name="fileName">The executable.</param>
    /// <param name="arguments">Its arguments, each passed as is.</param>
    public TestServerProcess(string name, string fileName, IReadOnlyList<string> arguments)
    {
        Name = name;
        FileName = fileName;
        Arguments = arguments;
    }

    public string Name { get; }

    public string FileName { get; }

    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The PID while it runs.</summary>
    public int? ProcessId
    {
        get
        {
            lock (_sync)
            {
                return _process is { HasExited: false } p ? p.Id : null;
            }
        }
    }

    public bool IsRunning => ProcessId is not null;

    /// <summary>The last lines the process wrote to stdout and stderr.</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _output);

    /// <summary>Where the PID is recorded, or <see langword="null"/> when <c>AOF_TEST_SERVERS_DIR</c> is not set.</summary>
    public string? PidFile => Environment.GetEnvironmentVariable("AOF_TEST_SERVERS_DIR") is { Length: > 0 } dir ? Path.Combine(dir, Name + ".pid") : null;

    /// <summary>Starts the process and waits until <paramref name="isReady"/> says it answers (or it exits, or the timeout passes).</summary>
    public async Task StartAsync(Func<CancellationToken, Task<bool>> isReady, TimeSpan timeout)
    {
        var process = new Process
        {
            StartInfo = new ProcessStartInfo(FileName)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            },
        };
        foreach (var argument in Arguments)
        {
            process.StartInfo.ArgumentList.Add(argument);
        }

        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        lock (_sync)
        {
            if (_process is { HasExited: false })
            {
                throw new InvalidOperationException($"{Name} is already running (PID {_process.Id}).");
            }

            _process?.Dispose();
            if (!process.Start())
            {
                throw new InvalidOperationException($"{Name} did not start: {FileName} {string.Join(' ', Arguments)}");
            }

            _process = process;
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (PidFile is { } pidFile)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(pidFile)!);
            await File.WriteAllTextAsync(pidFile, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var exited = false;
        await Wait.UntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    exited = true;
                    return true;
                }

                using var probeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    return await isReady(probeTimeout.Token);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or System.Net.Sockets.SocketException)
                {
                    return false;
                }
            },
            $"{Name} answers ({FileName} {string.Join(' ', Arguments)}); its output:{Environment.NewLine}{RecentOutput}",
            timeout);
        if (exited)
        {
            await process.WaitForExitAsync();
            throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} while starting ({FileName} {string.Join(' ', Arguments)}). Its output:{Environment.NewLine}{RecentOutput}");
        }
    }

    /// <summary>Kills the process by its PID and waits until it is gone. Does nothing when it is not running.</summary>
    public async Task StopAsync()
    {
        Process? process;
        lock (_sync)
        {
            process = _process;
        }

        if (process is null)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill();
        }

        await Wait.ForAsync(process.WaitForExitAsync(), $"{Name} (PID {process.Id}) to exit after it was killed");
        if (PidFile is { } pidFile)
        {
            File.Delete(pidFile);
        }
    }

    public void Dispose()
    {
        Process? process;
        lock (_sync)
        {
            process = _process;
            _process = null;
        }

        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        finally
        {
            process.Dispose();
            if (PidFile is { } pidFile)
            {
                File.Delete(pidFile);
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > KeptOutputLines && _output.TryDequeue(out _))
        {
        }
    }
}
