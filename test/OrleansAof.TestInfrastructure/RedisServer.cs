using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace OrleansAof.TestInfrastructure;

/// <summary>
/// A <c>redis-server</c> on 127.0.0.1 on a free port, without persistence, in its own folder; stopped by its PID.
/// <c>test.sh</c> installs redis-server when it is missing.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly TestServerProcess _process;
    private readonly TempDirectory _data = new("redis");

    private RedisServer()
    {
        Port = FreePort.Find();
        _process = new TestServerProcess(
            $"redis-{Port}",
            "redis-server",
            ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _data.Path]);
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string of this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>Starts a new server and waits until it answers PING.</summary>
    public static async Task<RedisServer> StartNewAsync()
    {
        var server = new RedisServer();
        try
        {
            await server._process.StartAsync(server.AnswersAsync, StartTimeout);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _process.Dispose();
        _data.Dispose();
    }

    private async Task<bool> AnswersAsync(CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
        var buffer = new byte[16];
        var read = await stream.ReadAsync(buffer, cancellationToken);
        return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
    }
}
