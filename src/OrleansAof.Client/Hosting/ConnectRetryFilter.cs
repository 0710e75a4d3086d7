using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace OrleansAof.Client;

/// <summary>
/// Retries the client's first connection for <see cref="AppendLogClientOptions.ConnectTimeout"/> (a silo that is still
/// starting is waited for), then fails the start with <see cref="ClusterConnectionException"/> naming the cluster and
/// service ids: without a filter, Orleans keeps retrying a gateway that refuses a client with other ids, silently.
/// </summary>
internal sealed class ConnectRetryFilter(IOptions<ClusterOptions> cluster, IOptions<AppendLogClientOptions> options, TimeProvider time) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(500);
    private long _firstFailure;
    private bool _closedByGateway;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        if (_firstFailure == 0)
        {
            _firstFailure = time.GetTimestamp();
        }

        // A gateway that accepts the connection and closes it at once refuses the client's ids.
        _closedByGateway |= Causes(exception).Any(static e => e is Microsoft.AspNetCore.Connections.ConnectionAbortedException);
        var limit = options.Value.ConnectTimeout;
        var elapsed = time.GetElapsedTime(_firstFailure);
        if (elapsed + Delay >= limit)
        {
            var ids = cluster.Value;
            throw new ClusterConnectionException(ids.ClusterId, ids.ServiceId,
                FormattableString.Invariant($"Could not connect to the Orleans cluster within {limit.TotalSeconds:0.###} s (AppendLogClientOptions.ConnectTimeout) with cluster id '{ids.ClusterId}' and service id '{ids.ServiceId}'. ")
                + (_closedByGateway
                    ? "The gateway closed the connection: the cluster id or service id differs from the silos' (the silo host's are Aof:ClusterId and Aof:ServiceId, both 'aof' by default). "
                    : "No gateway accepted the client: is a silo running, is the gateway port right (the silo host's Aof:GatewayPort, 30000 by default), and are the ids the silos' (Aof:ClusterId and Aof:ServiceId, both 'aof' by default)? ")
                + "Last error: " + exception.GetType().Name + ": " + FirstLine(exception.Message),
                exception);
        }

        await Task.Delay(Delay, time, cancellationToken);
        return true;
    }

    private static IEnumerable<Exception> Causes(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            yield return error;
        }
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].TrimEnd();
        return line.Length > 300 ? line[..300] + "..." : line;
    }
}
