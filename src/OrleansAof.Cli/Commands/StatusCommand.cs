using System.CommandLine;
using System.Globalization;
using OrleansAof.Cli.Cluster;
using Engine = OrleansAof.Storage;

namespace OrleansAof.Cli.Commands;

/// <summary>
/// <c>aof status [--log L [--partition P | --partitions N]]</c>: the silos (membership) and the partitions each holds;
/// for the partitions asked about, their state, ids, epoch, flush policy, segments and flush statistics. Never creates a
/// partition: only partitions some active silo holds are asked for their state.
/// </summary>
internal sealed class StatusCommand(CliEnvironment environment) : ClusterCommand(environment)
{
    public override Command Build()
    {
        var log = LogOption(required: false);
        log.Description = "Show the partitions of this log (every partition some active silo holds, unless --partition or --partitions narrows it).";
        var partition = PartitionOption(required: false);
        partition.Description = "Only this partition of --log.";
        var partitions = new Option<int?>("--partitions")
        {
            Description = "The log has N partitions, 0 to N-1: show each, and the ones no silo holds yet as missing.",
            HelpName = "N",
        };
        var json = JsonOption();
        var connection = new ConnectionOptions();
        var command = new Command("status", "The cluster's silos (name, address, membership status, partitions held) and, with --log, its partitions: "
            + "serving silo, state, first/last/durable id, epoch, flush policy, segments with their status (Active, Sealed, Archiving, Archived, "
            + "LocalEvicted, Quarantined) and sizes, flush statistics, archive backlog and archival errors. Opens only partitions that exist; creates none. "
            + "Exit 1 when a partition is faulted, has a quarantined segment, fails to archive or refuses appends for its archive backlog; "
            + "7 when one cannot be served, 8 when --partition names one no active silo holds.")
        {
            log, partition, partitions, json,
        };
        connection.AddTo(command);
        partitions.Validators.Add(static r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1 or > 100_000)
            {
                r.AddError("--partitions must be between 1 and 100000.");
            }
        });
        command.Validators.Add(result =>
        {
            if (result.GetResult(partition) is not null && result.GetResult(partitions) is not null)
            {
                result.AddError("Use either --partition or --partitions, not both.");
            }

            if ((result.GetResult(partition) is not null || result.GetResult(partitions) is not null) && result.GetResult(log) is null)
            {
                result.AddError("--partition and --partitions need --log.");
            }
        });

        command.SetAction((parse, cancellationToken) =>
        {
            var output = Output(parse.GetValue(json));
            return output.RunAsync(async () =>
            {
                var logName = parse.GetValue(log);
                var partitionName = parse.GetValue(partition);
                if (logName is not null)
                {
                    PartitionKey.Validate(logName);
                }

                if (partitionName is not null)
                {
                    PartitionKey.Validate(partitionName);
                }

                await using var session = await ConnectAsync(parse, connection, cancellationToken);
                var view = await LookAsync(session, logName);
                if (logName is not null && partitionName is not null)
                {
                    view.RequireHeld(logName, partitionName);
                }

                var names = logName is null ? []
                    : partitionName is not null ? [partitionName]
                    : parse.GetValue(partitions) is { } n ? Enumerable.Range(0, n).Select(static i => i.ToString(CultureInfo.InvariantCulture)).ToList()
                    : view.PartitionsOf(logName);
                var rows = logName is null ? [] : await Task.WhenAll(names.Select(p => DescribeAsync(session, view, logName, p)));

                var logs = view.Listings.Values
                    .SelectMany(static l => l.Partitions)
                    .GroupBy(static p => p.Log, StringComparer.Ordinal)
                    .OrderBy(static g => g.Key, StringComparer.Ordinal)
                    .Select(static g => new LogSummary(g.Key, g.Select(static p => p.Partition).Distinct(StringComparer.Ordinal).Count(), g.Count(static p => p.IsOpen)))
                    .ToList();
                var document = new StatusDocument(session.Settings.Describe(), view.Silos, logName, logs, rows);
                if (partitionName is not null && rows[0].Error is { } error)
                {
                    return output.Fail(error.ExitCode, error.Kind, error.Message);
                }

                if (output.Json)
                {
                    output.WriteJson(document, CliJsonContext.Output.StatusDocument);
                }
                else
                {
                    ClusterRenderer.Render(output.Console, document);
                }

                return ExitCodeFor(document);
            });
        });
        return command;
    }

    /// <summary>
    /// The exit code of a status: a partition's own error code (7 when it cannot be served), else 7 when an active silo
    /// did not answer, else 1 when a partition is faulted, has a quarantined segment, fails to archive or refuses appends
    /// for its archive backlog, else 0.
    /// </summary>
    internal static int ExitCodeFor(StatusDocument status) =>
        status.Partitions.FirstOrDefault(static r => r.Error is not null)?.Error?.ExitCode
        ?? (status.Silos.Any(static s => s.Error is not null) ? ExitCodes.Unavailable : (int?)null)
        ?? (status.Partitions.Any(static r => r.State == nameof(Engine.PartitionState.Faulted)
                || (r.Segments?.Any(static s => s.Status == nameof(Engine.SegmentStatus.Quarantined)) ?? false)
                || r.Archive is { Error: not null } or { RefusesAppends: true })
            ? ExitCodes.Findings
            : ExitCodes.Ok);

    private static async Task<PartitionStatusDocument> DescribeAsync(ClusterSession session, ClusterView view, string log, string partition)
    {
        var holders = view.Holders(log, partition);
        if (holders.Count == 0)
        {
            try
            {
                view.RequireHeld(log, partition);
            }
            catch (PartitionUnavailableException e)
            {
                // Some active silo did not answer: the partition may be on its disk.
                return PartitionStatusDocument.Missing(log, partition) with { Error = new RowError(ExitCodes.Unavailable, "unavailable", e.Message) };
            }
            catch (PartitionNotFoundException)
            {
            }

            return PartitionStatusDocument.Missing(log, partition);
        }

        var grain = session.Client.GetGrain<IPartitionGrain>(PartitionKey.Format(log, partition));
        try
        {
            var info = await grain.GetInfoAsync();
            var flush = await grain.GetFlushStatisticsAsync();
            return PartitionStatusDocument.From(info, holders, flush);
        }
        catch (Exception e) when (CommandOutput.Classify(e) is { } failure)
        {
            return PartitionStatusDocument.Missing(log, partition) with { Exists = true, HeldBy = holders, Error = new RowError(failure.ExitCode, failure.Kind, failure.Message) };
        }
    }
}
