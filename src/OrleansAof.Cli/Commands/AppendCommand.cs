using System.CommandLine;
using OrleansAof.Cli.Cluster;

namespace OrleansAof.Cli.Commands;

/// <summary>
/// <c>aof append --log L (--partition P | --key K) [--file F] [--delimiter newline|none] [--batch N] [--producer-id ID]</c>:
/// appends records from standard input or a file and prints the ids they got. Every batch carries an idempotence stamp
/// (the producer id and the batch's number), so rerunning the same command with the same input and producer id never
/// appends a record twice.
/// </summary>
internal sealed class AppendCommand(CliEnvironment environment) : ClusterCommand(environment)
{
    public override Command Build()
    {
        var log = LogOption();
        var partition = PartitionOption(required: false);
        var key = new Option<string?>("--key") { Description = "Route by this key instead of --partition (the client library's stable hash over --partitions)." };
        var partitions = new Option<int>("--partitions")
        {
            Description = "With --key: the log's partition count, as the producers configure it (AppendLogClientOptions.PartitionCounts).",
            HelpName = "N",
            DefaultValueFactory = _ => 1,
        };
        var file = new Option<string?>("--file") { Description = "Read the records from this file instead of standard input.", HelpName = "path" };
        var delimiter = new Option<RecordDelimiter>("--delimiter")
        {
            Description = "newline: one record per line (the \\n is not part of the record, a \\r before it is; an empty line is an empty record); none: the whole input is one record.",
            DefaultValueFactory = _ => RecordDelimiter.Newline,
        };
        var batch = new Option<int>("--batch")
        {
            Description = "Records per append call (each batch is atomic and gets consecutive ids); a batch also ends at 1 MiB.",
            HelpName = "N",
            DefaultValueFactory = _ => 1000,
        };
        var producerId = new Option<long?>("--producer-id")
        {
            Description = "The producer id of the idempotence stamps (batch i is stamped (id, i)). Default: a new random id, printed in the output. "
                + "Rerun a failed or uncertain append with the printed id and the same input: batches already appended are not appended again.",
            HelpName = "id",
        };
        var json = JsonOption();
        var connection = new ConnectionOptions();
        var command = new Command("append", "Append records from standard input (or --file) to a partition and print their ids. "
            + "Creates the partition if needed. Exit 7 when the partition is unavailable: the message says which batches went in; rerun with the printed --producer-id.")
        {
            log, partition, key, partitions, file, delimiter, batch, producerId, json,
        };
        connection.AddTo(command);
        batch.Validators.Add(static r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--batch must be at least 1.");
            }
        });
        partitions.Validators.Add(static r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--partitions must be at least 1.");
            }
        });
        producerId.Validators.Add(static r =>
        {
            if (r.GetValueOrDefault<long?>() is <= 0)
            {
                r.AddError("--producer-id must be positive.");
            }
        });
        command.Validators.Add(result =>
        {
            if ((result.GetResult(partition) is null) == (result.GetResult(key) is null))
            {
                result.AddError("Give exactly one of --partition and --key.");
            }

        });

        command.SetAction((parse, cancellationToken) =>
        {
            var output = Output(parse.GetValue(json));
            return output.RunAsync(async () =>
            {
                var logName = parse.GetRequiredValue(log);
                PartitionKey.Validate(logName);
                var partitionName = parse.GetValue(partition);
                if (partitionName is not null)
                {
                    PartitionKey.Validate(partitionName);
                }

                var path = parse.GetValue(file);
                if (path is not null && Directory.Exists(path))
                {
                    return output.Fail(ExitCodes.Usage, "usage", $"--file {PartitionKey.ForDisplay(path)} is a folder, not a file; nothing was appended.");
                }

                await using var input = path is null ? Environment.OpenInput() : new FileStream(Path.GetFullPath(path), FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true);
                await using var session = await ConnectAsync(parse, connection, cancellationToken, parse.GetValue(partitions));
                var handle = session.Logs.GetLog(logName);
                partitionName ??= handle.PartitionFor(parse.GetRequiredValue(key)!);
                var producer = parse.GetValue(producerId) ?? Random.Shared.NextInt64(1, long.MaxValue);

                var batches = new List<AppendBatchDocument>();
                long sequence = 0;
                await foreach (var payloads in RecordInput.BatchesAsync(input, parse.GetValue(delimiter), parse.GetValue(batch), cancellationToken))
                {
                    AppendBatchDocument done;
                    try
                    {
                        var ack = await handle.AppendBatchAsync(partitionName, payloads, expectedLastId: null, new ProducerStamp(producer, sequence));
                        done = new AppendBatchDocument(sequence, payloads.Count, ack.FirstId, ack.LastId, ack.IsDurable, ack.IsDuplicate ? AppendOutcome.Duplicate : AppendOutcome.Appended);
                    }
                    catch (StaleSequenceException)
                    {
                        done = new AppendBatchDocument(sequence, payloads.Count, null, null, null, AppendOutcome.AlreadyAppended);
                    }
                    catch (Exception e) when (CommandOutput.Classify(e) is { } failure)
                    {
                        return output.Fail(failure.ExitCode, failure.Kind, $"{failure.Message} Batch {sequence} ({payloads.Count} record(s)) was not appended. {Progress(logName, partitionName, batches)} "
                            + $"To finish without duplicates, rerun the same command with the same input and --producer-id {producer}.");
                    }

                    batches.Add(done);
                    sequence++;
                }

                if (batches.Count == 0)
                {
                    return output.Fail(ExitCodes.Usage, "usage", $"The input holds no record, so nothing was appended to {logName}/{partitionName}. Pipe records into 'aof append' or pass --file.");
                }

                var document = AppendDocument.From(logName, partitionName, producer, batches);
                if (output.Json)
                {
                    output.WriteJson(document, CliJsonContext.Output.AppendDocument);
                }
                else
                {
                    ClusterRenderer.Render(output.Console, document);
                }

                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static string Progress(string log, string partition, List<AppendBatchDocument> batches)
    {
        if (batches.Count == 0)
        {
            return $"Nothing was appended to {log}/{partition} by this run.";
        }

        var known = batches.Where(static b => b.FirstId is not null).ToList();
        var ids = known.Count == 0 ? "" : $" (ids {known.Min(static b => b.FirstId)}..{known.Max(static b => b.LastId)})";
        return $"Batches 0..{batches.Count - 1} of {log}/{partition} are in{ids}.";
    }
}
