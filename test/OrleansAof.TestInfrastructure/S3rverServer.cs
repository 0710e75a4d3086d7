using System.Globalization;

namespace OrleansAof.TestInfrastructure;

/// <summary>
/// An s3rver (S3-compatible test server, npm) on 127.0.0.1 with its own data folder, started as
/// <c>node --openssl-legacy-provider {s3rver} -d {dir} -a 127.0.0.1 -p {port} -s</c>. The s3rver script is
/// <c>$AOF_S3RVER</c>, or <c>test/servers/node_modules/.bin/s3rver</c> of the repository (<c>cd test/servers &amp;&amp; npm ci</c>).
/// <see cref="StopAsync"/> kills it (an outage); <see cref="StartAsync"/> brings it back on the same port with the same data.
/// Credentials are <see cref="AccessKey"/> / <see cref="SecretKey"/>.
/// </summary>
public sealed class S3rverServer : IDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly TestServerProcess _process;
    private readonly TempDirectory _data;

    private S3rverServer(string scriptPath)
    {
        Port = FreePort.Find();
        _data = new TempDirectory("s3rver");
        _process = new TestServerProcess(
            $"s3rver-{Port}",
            "node",
            ["--openssl-legacy-provider", scriptPath, "-d", _data.Path, "-a", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-s"]);
    }

    public int Port { get; }

    public string ServiceUrl => $"http://127.0.0.1:{Port}";

    /// <summary>Where s3rver keeps buckets and objects (for tests that damage stored data).</summary>
    public string DataDirectory => _data.Path;

    public bool IsRunning => _process.IsRunning;

    public int? ProcessId => _process.ProcessId;

    /// <summary>The s3rver script this machine uses.</summary>
    public static string ScriptPath =>
        Environment.GetEnvironmentVariable("AOF_S3RVER") is { Length: > 0 } configured
            ? configured
            : Path.Combine(RepositoryPaths.Root, "test", "servers", "node_modules", ".bin", "s3rver");

    /// <summary>Starts a new server on a free port with an empty data folder.</summary>
    public static async Task<S3rverServer> StartNewAsync()
    {
        var script = ScriptPath;
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"s3rver is not installed at '{script}': run `cd test/servers && npm ci` (test.sh does) or set AOF_S3RVER.");
        }

        var server = new S3rverServer(script);
        try
        {
            await server.StartAsync();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>The file in which s3rver keeps the bytes of an object.</summary>
    public string StoredObjectPath(string bucket, string objectKey) =>
        Path.Combine(DataDirectory, bucket, objectKey.Replace('/', Path.DirectorySeparatorChar) + "._S3rver_object");

    /// <summary>Starts (again) on the same port with the same data folder, and waits until it answers.</summary>
    public Task StartAsync() => _process.StartAsync(AnswersAsync, StartTimeout);

    /// <summary>Kills the server by its PID (the data folder stays).</summary>
    public Task StopAsync() => _process.StopAsync();

    /// <summary>Creates a bucket (s3rver accepts an unsigned <c>PUT /{bucket}</c>).</summary>
    public async Task CreateBucketAsync(string bucket)
    {
        using var http = new HttpClient();
        using var response = await http.PutAsync(new Uri($"{ServiceUrl}/{bucket}"), null);
        response.EnsureSuccessStatusCode();
    }

    public void Dispose()
    {
        _process.Dispose();
        _data.Dispose();
    }

    private async Task<bool> AnswersAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(ServiceUrl + "/"), cancellationToken);
        return (int)response.StatusCode is >= 200 and < 500;
    }
}
