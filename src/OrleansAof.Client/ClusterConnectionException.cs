namespace OrleansAof.Client;

/// <summary>
/// The Orleans client could not connect within <see cref="AppendLogClientOptions.ConnectTimeout"/>: no gateway answered,
/// or the gateways refused the client because its cluster id or service id differs from the silos' (the silo host's are
/// <c>Aof:ClusterId</c> and <c>Aof:ServiceId</c>, both <c>aof</c> by default). Raised by the client's start
/// (<c>host.StartAsync()</c>) when the client was configured with <c>clientBuilder.AddAppendLogClient(...)</c>; the
/// message names the ids the client used.
/// </summary>
public sealed class ClusterConnectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ClusterConnectionException(string clusterId, string serviceId, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ClusterId = clusterId;
        ServiceId = serviceId;
    }

    /// <summary>The cluster id the client used.</summary>
    public string ClusterId { get; }

    /// <summary>The service id the client used.</summary>
    public string ServiceId { get; }
}
