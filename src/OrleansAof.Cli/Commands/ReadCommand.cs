using System.CommandLine;
using OrleansAof.Cli.Cluster;

namespace OrleansAof.Cli.Commands;

/// <summary>
/// <c>aof read --log L --partition P --from ID [--count N | --to ID] [--backward] [--format text|base64|hex]</c>: prints
/// durable records of a partition, oldest first (or newest first with <c>--backward</c>).
/// </summary>
internal sealed class ReadCommand(CliEnvironment environment) : ClusterCommand(environment)
{
    /// <summary>Records per read call.</summary>
    private const int PageRecords = 1000;

    public override Command Build()
    {
        var log = LogOption();
        var partition = PartitionOption();
        var from = new Option<long>("--from") { Description = "The first id to read (with --backward: the newest). An id past the partition's next id is refused (exit 2, nothing read).", HelpName = "id", Required = true };
        var count = new Option<int?>("--count") { Description = "How many records at most. Default 100, or up to --to.", HelpName = "N" };
        var to = new Option<long?>("--to") { Description = "The last id to read, inclusive (with --backward: the oldest). Not with --count.", HelpName = "id" };
        var backward = new Option<bool>("--backward") { Description = "Read newest first, from --from downward." };
        var format = FormatOption();
        var json = JsonOption();
        var connection = new ConnectionOptions();
        var command = new Command("read", "Print durable records of a partition: one line per record (id, UTC time, payload), or --json. "
            + "Exit 2 when the range is reversed or out of range (nothing is read), 8 when no active silo holds the partition.")
        {
            log, partition, from, count, to, backward, format, json,
        };
        connection.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetResult(count) is not null && result.GetResult(to) is not null)
            {
                result.AddError("Use either --count or --to, not both.");
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
                var first = parse.GetValue(from);
                var isBackward = parse.GetValue(backward);
                var limit = Limit(first, parse.GetValue(count), parse.GetValue(to), isBackward);

                await using var session = await ConnectAsync(parse, connection, cancellationToken);
                await RequirePartitionAsync(session, logName, partitionName);
                var grain = session.Client.GetGrain<IPartitionGrain>(PartitionKey.Format(logName, partitionName));
                var chosen = parse.GetValue(format);
                var records = new List<RecordDocument>();
                var next = first;
                while (records.Count < limit && (!isBackward || next >= 0))
                {
                    var page = (int)Math.Min(PageRecords, limit - records.Count);
                    var batch = isBackward ? await grain.ReadBackwardAsync(next, page) : await grain.ReadAsync(next, page);
                    if (batch.Count == 0)
                    {
                        break;
                    }

                    // Ids are dense, so the limit alone keeps the read within --to.
                    foreach (var record in batch.Records)
                    {
                        records.Add(RecordDocument.From(record, chosen));
                    }

                    next = batch.NextId;
                }

                if (records.Count > 0)
                {
                    next = isBackward ? records[^1].Id - 1 : records[^1].Id + 1;
                }

                await WriteRecordsAsync(output, new RecordsDocument(logName, partitionName, chosen, isBackward, records, next));
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    /// <summary>Prints the records read: one JSON document, or a line per record. Shared with <c>tail</c>.</summary>
    internal static async Task WriteRecordsAsync(CommandOutput output, RecordsDocument document)
    {
        if (output.Json)
        {
            output.WriteJson(document, CliJsonContext.Output.RecordsDocument);
            return;
        }

        foreach (var r in document.Records)
        {
            await output.Out.WriteLineAsync(r.ToLine());
        }
    }

    /// <summary><c>--format</c>, shared with <c>tail</c>.</summary>
    internal static Option<PayloadFormat> FormatOption() => new("--format")
    {
        Description = "How payloads are printed: text (UTF-8; invalid bytes become U+FFFD), base64 or hex (exact bytes).",
        DefaultValueFactory = _ => PayloadFormat.Text,
    };

    /// <summary>How many records the range asks for; a typed error for a reversed or empty range (checked before connecting: nothing is read).</summary>
    /// <exception cref="InvalidRangeException">The range is reversed, negative or empty.</exception>
    private static long Limit(long from, int? count, long? to, bool backward)
    {
        if (from < 0)
        {
            throw new InvalidRangeException($"--from {from} is negative; ids start at 0.");
        }

        if (count is { } n)
        {
            return n > 0 ? n : throw new InvalidRangeException($"--count {n} must be at least 1.");
        }

        if (to is not { } last)
        {
            return 100;
        }

        if (last < 0)
        {
            throw new InvalidRangeException($"--to {last} is negative; ids start at 0.");
        }

        if (backward ? last > from : last < from)
        {
            throw new InvalidRangeException(backward
                ? $"The range is reversed: reading backward from {from} cannot reach --to {last}; with --backward, --to is the oldest id and at most --from."
                : $"The range is reversed: --to {last} is below --from {from}; use --backward to read newest first.");
        }

        var span = backward ? from - last : last - from;
        return span == long.MaxValue ? long.MaxValue : span + 1;
    }
}
