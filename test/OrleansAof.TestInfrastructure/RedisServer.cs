using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OrleansAof.TestInfrastructure;

/// <summary>
/// A Debian <c>redis-server</c> on 127.0.0.1, on a free port, in memory only, started as
/// <c>redis-server --port {port} --bind 127.0.0.1 --save '' --appendonly no --daemonize no</c> and stopped by its PID.
/// <c>test.sh</c> installs the package when it is missing. Orleans membership entries survive a silo's shutdown, so a
/// test that shares a server uses a fresh ClusterId.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly TestServerProcess _process;

    private RedisServer(string executable)
    {
        Port = FreePort.Find();
        _process = new TestServerProcess(
            $"redis-{Port}",
            executable,
            ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"]);
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string (<c>127.0.0.1:{port}</c>).</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public bool IsRunning => _process.IsRunning;

    public int? ProcessId => _process.ProcessId;

    /// <summary>The redis-server this machine uses: <c>$AOF_REDIS_SERVER</c>, else the first <c>redis-server</c> on the PATH.</summary>
    public static string? Executable
    {
        get
        {
            if (Environment.GetEnvironmentVariable("AOF_REDIS_SERVER") is { Length: > 0 } configured)
            {
                return configured;
            }

            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(dir, "redis-server");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return null;
        }
    }

    /// <summary>Starts a new, empty server on a free port and waits until it answers PING.</summary>
    public static async Task<RedisServer> StartNewAsync()
    {
        var executable = Executable ?? throw new InvalidOperationException(
            "redis-server is not installed: `apt-get install redis-server` (test.sh does it when run as root) or set AOF_REDIS_SERVER.");
        var server = new RedisServer(executable);
        try
        {
            await server._process.StartAsync(server.AnswersPingAsync, StartTimeout);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Kills the server by its PID.</summary>
    public Task StopAsync() => _process.StopAsync();

    public void Dispose() => _process.Dispose();

    /// <summary>Sends one inline command and returns the first line of the reply (for example <c>+PONG</c>).</summary>
    public async Task<string> CommandAsync(string inlineCommand, CancellationToken cancellationToken = default)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(inlineCommand + "\r\n"), cancellationToken);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadLineAsync(cancellationToken) ?? "";
    }

    private async Task<bool> AnswersPingAsync(CancellationToken cancellationToken) =>
        await CommandAsync("PING", cancellationToken) == "+PONG";
}
