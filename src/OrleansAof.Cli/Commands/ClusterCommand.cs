using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using OrleansAof.Cli.Cluster;

namespace OrleansAof.Cli.Commands;

/// <summary>
/// Base of the commands that talk to a running cluster: the connection options every one of them takes
/// (<c>--gateway</c>, <c>--redis</c>, <c>--cluster-id</c>, <c>--service-id</c>, <c>--connect-timeout</c>), connecting,
/// and the look-up that keeps the commands other than <c>append</c> from creating a partition by asking about it.
/// </summary>
internal abstract class ClusterCommand(CliEnvironment environment) : AofCommand(environment)
{
    /// <summary>The connection options of one command.</summary>
    protected sealed class ConnectionOptions
    {
        public Option<string[]> Gateway { get; } = new("--gateway")
        {
            Description = $"A gateway of the cluster, host:port (repeatable). Default {ClusterConnectionSettings.DefaultGateway}, the silo host's embedded default.",
            HelpName = "host:port",
            Arity = ArgumentArity.OneOrMore,
        };

        public Option<string?> Redis { get; } = new("--redis")
        {
            Description = "Find the gateways in the cluster's Redis membership table (a StackExchange.Redis configuration string, as the silo host's Aof:ClusteringConnectionString) instead of --gateway.",
            HelpName = "connection",
        };

        public Option<string> ClusterId { get; } = new("--cluster-id")
        {
            Description = "The cluster id (the silo host's Aof:ClusterId).",
            DefaultValueFactory = _ => ClusterConnectionSettings.DefaultId,
        };

        public Option<string> ServiceId { get; } = new("--service-id")
        {
            Description = "The service id (the silo host's Aof:ServiceId).",
            DefaultValueFactory = _ => ClusterConnectionSettings.DefaultId,
        };

        public Option<TimeSpan> ConnectTimeout { get; } = new("--connect-timeout")
        {
            Description = "How long to keep trying to connect before giving up with exit 6: seconds, or a number with ms, s or m (500ms, 10s, 1m).",
            HelpName = "duration",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
            CustomParser = ParseDuration,
        };

        public void AddTo(Command command)
        {
            command.Add(Gateway);
            command.Add(Redis);
            command.Add(ClusterId);
            command.Add(ServiceId);
            command.Add(ConnectTimeout);
            command.Validators.Add(result =>
            {
                if (result.GetResult(Gateway) is not null && result.GetResult(Redis) is not null)
                {
                    result.AddError("Use either --gateway or --redis, not both.");
                }
            });
        }

        public ClusterConnectionSettings Settings(ParseResult parse)
        {
            var gateways = parse.GetValue(Gateway) is { Length: > 0 } g ? g : [ClusterConnectionSettings.DefaultGateway];
            return new ClusterConnectionSettings(gateways, parse.GetValue(Redis), parse.GetRequiredValue(ClusterId), parse.GetRequiredValue(ServiceId), parse.GetValue(ConnectTimeout));
        }

        private static TimeSpan ParseDuration(ArgumentResult result)
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
            var (number, unit) = text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (text[..^2], 0.001)
                : text.EndsWith('s') ? (text[..^1], 1.0)
                : text.EndsWith('m') ? (text[..^1], 60.0)
                : (text, 1.0);
            if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && value * unit <= 3600)
            {
                return TimeSpan.FromSeconds(value * unit);
            }

            if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
            {
                return span;
            }

            result.AddError($"--connect-timeout '{text}' is not a positive duration (for example 500ms, 10s, 1m or 00:00:10).");
            return default;
        }
    }

    /// <summary><c>--log</c>.</summary>
    protected static Option<string> LogOption(bool required = true) => new("--log") { Description = "The log name.", Required = required };

    /// <summary><c>--partition</c>.</summary>
    protected static Option<string> PartitionOption(bool required = true) => new("--partition")
    {
        Description = "The partition name (partitions of a log are named 0 to N-1).",
        Required = required,
    };

    /// <summary>
    /// A command that makes one call on an existing partition (<c>--log</c>, <c>--partition</c>, <c>--json</c> and the
    /// connection options): it connects, refuses a partition no active silo holds (exit 8, nothing created), calls
    /// <paramref name="call"/>, and prints its document as JSON or as the line <paramref name="text"/> makes of it.
    /// </summary>
    protected Command PartitionCallCommand<TDocument>(
        string name,
        string description,
        Func<IPartitionGrain, string, string, Task<TDocument>> call,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<TDocument> json,
        Func<string, TDocument, string> text)
    {
        var log = LogOption();
        var partition = PartitionOption();
        var jsonOption = JsonOption();
        var connection = new ConnectionOptions();
        var command = new Command(name, description) { log, partition, jsonOption };
        connection.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var output = Output(parse.GetValue(jsonOption));
            return output.RunAsync(async () =>
            {
                var logName = parse.GetRequiredValue(log);
                var partitionName = parse.GetRequiredValue(partition);
                var key = PartitionKey.Format(logName, partitionName);
                await using var session = await ConnectAsync(parse, connection, cancellationToken);
                await RequirePartitionAsync(session, logName, partitionName);
                var document = await call(session.Client.GetGrain<IPartitionGrain>(key), logName, partitionName);
                if (output.Json)
                {
                    output.WriteJson(document, json);
                }
                else
                {
                    await output.Out.WriteLineAsync(text(key, document));
                }

                return ExitCodes.Ok;
            });
        });
        return command;
    }

    /// <summary>Connects (exit 6 when the cluster does not answer in time).</summary>
    protected static Task<ClusterSession> ConnectAsync(ParseResult parse, ConnectionOptions connection, CancellationToken cancellationToken, int partitionCount = 1, TimeSpan? responseTimeout = null) =>
        ClusterSession.ConnectAsync(connection.Settings(parse), partitionCount, cancellationToken, responseTimeout);

    /// <summary>What every active silo holds (see <see cref="ClusterView"/>).</summary>
    protected static Task<ClusterView> LookAsync(ClusterSession session, string? log) => ClusterView.LoadAsync(session.Client, log);

    /// <summary>
    /// Throws <see cref="PartitionNotFoundException"/> unless an active silo holds <paramref name="log"/>/<paramref name="partition"/>:
    /// a call to a partition grain would create an empty partition, and only <c>append</c> may do that.
    /// </summary>
    protected static async Task RequirePartitionAsync(ClusterSession session, string log, string partition)
    {
        var view = await LookAsync(session, log);
        view.RequireHeld(log, partition);
    }
}
