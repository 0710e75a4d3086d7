using System.Globalization;
using System.Net;

namespace OrleansAof.Cli.Cluster;

/// <summary>How the tool reaches a cluster: static gateways or Redis membership, the cluster's ids and a connect timeout.</summary>
/// <param name="Gateways">Gateway endpoints (<c>host:port</c>); used when <paramref name="Redis"/> is not set.</param>
/// <param name="Redis">A StackExchange.Redis configuration string: find the gateways in the cluster's Redis membership table.</param>
/// <param name="ClusterId">The cluster id (the silo host's <c>Aof:ClusterId</c>).</param>
/// <param name="ServiceId">The service id (the silo host's <c>Aof:ServiceId</c>).</param>
/// <param name="ConnectTimeout">How long to keep trying to connect.</param>
internal sealed record ClusterConnectionSettings(IReadOnlyList<string> Gateways, string? Redis, string ClusterId, string ServiceId, TimeSpan ConnectTimeout)
{
    /// <summary>The gateway the silo host listens on by default (<c>Aof:GatewayPort</c> 30000 on localhost).</summary>
    public const string DefaultGateway = "127.0.0.1:30000";

    /// <summary>The port of a <c>--gateway</c> given without one.</summary>
    public const int DefaultGatewayPort = 30000;

    /// <summary>The default of <c>Aof:ClusterId</c> and <c>Aof:ServiceId</c>.</summary>
    public const string DefaultId = "aof";

    /// <summary>Says where the tool connects, for messages.</summary>
    public string Describe() => Redis is not null
        ? $"the Redis membership at {RedactRedis(Redis)} (cluster id '{ClusterId}', service id '{ServiceId}')"
        : $"gateway {string.Join(", ", Gateways)} (cluster id '{ClusterId}')";

    /// <summary>Parses <c>host:port</c>, <c>[v6]:port</c> or <c>host</c> (port 30000).</summary>
    /// <exception cref="ArgumentException">Not an endpoint.</exception>
    public static async Task<IPEndPoint> ResolveAsync(string gateway, CancellationToken cancellationToken)
    {
        if (IPEndPoint.TryParse(gateway, out var endpoint) && endpoint.Port != 0)
        {
            return endpoint;
        }

        if (IPAddress.TryParse(gateway, out var bare))
        {
            return new IPEndPoint(bare, DefaultGatewayPort);
        }

        var colon = gateway.LastIndexOf(':');
        var host = colon < 0 ? gateway : gateway[..colon];
        var port = DefaultGatewayPort;
        if (colon >= 0 && (!int.TryParse(gateway[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            throw new ArgumentException($"--gateway '{gateway}' is not host:port (port 1-65535).", nameof(gateway));
        }

        if (host.Length == 0)
        {
            throw new ArgumentException($"--gateway '{gateway}' has no host.", nameof(gateway));
        }

        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new ClusterUnreachableException($"The gateway host '{host}' could not be resolved: {e.Message}", e);
        }

        var address = Array.Find(addresses, static a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ClusterUnreachableException($"The gateway host '{host}' has no address.");
        return new IPEndPoint(address, port);
    }

    /// <summary>The Redis configuration without a password, for messages.</summary>
    private static string RedactRedis(string configuration) => string.Join(',', configuration.Split(',').Select(static part =>
        part.TrimStart().StartsWith("password=", StringComparison.OrdinalIgnoreCase) ? "password=***" : part));
}
