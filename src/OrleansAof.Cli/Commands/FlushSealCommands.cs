using System.CommandLine;
using System.Globalization;

namespace OrleansAof.Cli.Commands;

/// <summary><c>aof flush --log L --partition P</c>: makes everything appended so far durable; prints the durable id.</summary>
internal sealed class FlushCommand(CliEnvironment environment) : ClusterCommand(environment)
{
    public override Command Build()
    {
        var log = LogOption();
        var partition = PartitionOption();
        var json = JsonOption();
        var connection = new ConnectionOptions();
        var command = new Command("flush", "Make every record appended to a partition so far durable (fsync), whatever its flush policy; print the durable id. "
            + "Exit 8 when no active silo holds the partition.")
        {
            log, partition, json,
        };
        connection.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var output = Output(parse.GetValue(json));
            return output.RunAsync(async () =>
            {
                var logName = parse.GetRequiredValue(log);
                var partitionName = parse.GetRequiredValue(partition);
                var key = PartitionKey.Format(logName, partitionName);
                await using var session = await ConnectAsync(parse, connection, cancellationToken);
                await RequirePartitionAsync(session, logName, partitionName);
                var durable = await session.Client.GetGrain<IPartitionGrain>(key).FlushAsync();
                var document = new FlushResultDocument(logName, partitionName, durable);
                if (output.Json)
                {
                    output.WriteJson(document, CliJsonContext.Output.FlushResultDocument);
                }
                else
                {
                    await output.Out.WriteLineAsync(durable >= 0
                        ? string.Create(CultureInfo.InvariantCulture, $"{key}: durable through id {durable}")
                        : $"{key}: empty, nothing to flush");
                }

                return ExitCodes.Ok;
            });
        });
        return command;
    }
}

/// <summary><c>aof seal --log L --partition P</c>: seals the active segment (the next append starts a new one); prints the sealed segment.</summary>
internal sealed class SealCommand(CliEnvironment environment) : ClusterCommand(environment)
{
    public override Command Build()
    {
        var log = LogOption();
        var partition = PartitionOption();
        var json = JsonOption();
        var connection = new ConnectionOptions();
        var command = new Command("seal", "Seal a partition's active segment (footer, index, fsync) so it can be archived; appends continue in a new segment. "
            + "An empty active segment is left as it is. Exit 8 when no active silo holds the partition.")
        {
            log, partition, json,
        };
        connection.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var output = Output(parse.GetValue(json));
            return output.RunAsync(async () =>
            {
                var logName = parse.GetRequiredValue(log);
                var partitionName = parse.GetRequiredValue(partition);
                var key = PartitionKey.Format(logName, partitionName);
                await using var session = await ConnectAsync(parse, connection, cancellationToken);
                await RequirePartitionAsync(session, logName, partitionName);
                var segment = await session.Client.GetGrain<IPartitionGrain>(key).SealAsync();
                var document = new SealResultDocument(logName, partitionName, segment);
                if (output.Json)
                {
                    output.WriteJson(document, CliJsonContext.Output.SealResultDocument);
                }
                else
                {
                    await output.Out.WriteLineAsync(segment is { } s
                        ? string.Create(CultureInfo.InvariantCulture, $"{key}: sealed {s.FileName}, ids {s.BaseId}..{s.LastId} ({s.RecordCount} record(s), {s.SizeBytes} bytes); the next append starts a new segment")
                        : $"{key}: the active segment is empty, nothing to seal");
                }

                return ExitCodes.Ok;
            });
        });
        return command;
    }
}

/// <summary>The JSON document of <c>aof flush</c>.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="DurableId">The partition's durable id after the flush (-1 when empty).</param>
internal sealed record FlushResultDocument(string Log, string Partition, long DurableId);

/// <summary>The JSON document of <c>aof seal</c>.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="Sealed">The segment sealed, or null when the active segment was empty.</param>
internal sealed record SealResultDocument(string Log, string Partition, SegmentSummary? Sealed);
