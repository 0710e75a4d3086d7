using System.CommandLine;
using OrleansAof.Cli.Cluster;

namespace OrleansAof.Cli.Commands;

/// <summary>
/// <c>aof tail --log L --partition P [--from ID | -n N] [-f]</c>: prints the newest durable records; with <c>-f</c>
/// keeps printing new ones as they become durable (the client's <c>IAsyncEnumerable</c> tail, a long poll) until Ctrl+C.
/// </summary>
internal sealed class TailCommand(CliEnvironment environment) : ClusterCommand(environment)
{
    public override Command Build()
    {
        var log = LogOption();
        var partition = PartitionOption();
        var from = new Option<long?>("--from") { Description = "Start at this id instead of the last --lines records.", HelpName = "id" };
        var lines = new Option<int>("--lines", "-n")
        {
            Description = "Without --from: start this many records before the durable end.",
            HelpName = "N",
            DefaultValueFactory = _ => 10,
        };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing records as they become durable, until Ctrl+C (exit 0)." };
        var format = ReadCommand.FormatOption();
        var json = JsonOption();
        json.Description = "Print JSON: one document; with -f one JSON object per record, one per line.";
        var connection = new ConnectionOptions();
        var command = new Command("tail", "Print the last records of a partition (durable ones): one line per record (id, UTC time, payload). "
            + "With -f follow the partition until Ctrl+C, resuming on its own when the partition is briefly unavailable.")
        {
            log, partition, from, lines, follow, format, json,
        };
        connection.AddTo(command);
        lines.Validators.Add(static r =>
        {
            if (r.GetValueOrDefault<int>() < 0)
            {
                r.AddError("--lines must not be negative.");
            }
        });

        command.SetAction((parse, cancellationToken) =>
        {
            var output = Output(parse.GetValue(json));
            return output.RunAsync(async () =>
            {
                var logName = parse.GetRequiredValue(log);
                var partitionName = parse.GetRequiredValue(partition);
                PartitionKey.Format(logName, partitionName);
                var chosen = parse.GetValue(format);

                await using var session = await ConnectAsync(parse, connection, cancellationToken);
                await RequirePartitionAsync(session, logName, partitionName);
                var handle = session.Logs.GetLog(logName);
                var grain = handle.Partition(partitionName);
                var info = await grain.GetInfoAsync();
                var start = parse.GetValue(from) ?? Math.Max(info.FirstId, info.DurableId + 1 - parse.GetValue(lines));

                if (parse.GetValue(follow))
                {
                    return await FollowAsync(output, handle, partitionName, start, chosen, cancellationToken);
                }

                // Up to the durable end as it was when the command started, so a busy partition does not keep it running.
                var records = new List<RecordDocument>();
                var next = start;
                if (start > info.DurableId)
                {
                    // Nothing to print, but a --from past the tail is an error, as it is for read and for -f.
                    await grain.ReadAsync(start, 1);
                }

                while (next <= info.DurableId)
                {
                    var batch = await grain.ReadAsync(next, (int)Math.Min(1000, info.DurableId - next + 1));
                    if (batch.Count == 0)
                    {
                        break;
                    }

                    foreach (var record in batch.Records)
                    {
                        records.Add(RecordDocument.From(record, chosen));
                    }

                    next = batch.NextId;
                }

                if (next < start)
                {
                    next = start;
                }

                await ReadCommand.WriteRecordsAsync(output, new RecordsDocument(logName, partitionName, chosen, Backward: false, records, next));
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    /// <summary>Prints every batch the tail yields and flushes after each, until cancelled (Ctrl+C), which ends with exit 0.</summary>
    private static async Task<int> FollowAsync(CommandOutput output, OrleansAof.Client.AppendLogHandle handle, string partition, long start, PayloadFormat format, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in handle.TailBatchesAsync(partition, start, cancellationToken))
            {
                foreach (var record in batch.Records)
                {
                    var document = RecordDocument.From(record, format);
                    if (output.Json)
                    {
                        output.WriteJsonLine(document, CliJsonContext.Lines.RecordDocument);
                    }
                    else
                    {
                        await output.Out.WriteLineAsync(document.ToLine());
                    }
                }

                await output.FlushAsync();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await output.FlushAsync();
        return ExitCodes.Ok;
    }
}
