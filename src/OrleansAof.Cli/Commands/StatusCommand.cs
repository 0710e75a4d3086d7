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

/// <summary>The JSON document of <c>aof status</c>.</summary>
/// <param name="Cluster">Where the tool connected.</param>
/// <param name="Silos">Every silo membership knows of, active ones first.</param>
/// <param name="Log">The log asked about, if any.</param>
/// <param name="Logs">Every log some active silo holds partitions of (only the asked log with --log).</param>
/// <param name="Partitions">The partitions asked about.</param>
internal sealed record StatusDocument(string Cluster, IReadOnlyList<SiloDocument> Silos, string? Log, IReadOnlyList<LogSummary> Logs, IReadOnlyList<PartitionStatusDocument> Partitions);

/// <summary>A log and how many of its partitions the active silos hold.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partitions">Partitions held.</param>
/// <param name="Open">Of those, open right now.</param>
internal sealed record LogSummary(string Log, int Partitions, int Open);

/// <summary>Why a partition's state could not be read.</summary>
/// <param name="ExitCode">The exit code this error gives on its own.</param>
/// <param name="Kind">The error kind.</param>
/// <param name="Message">The message.</param>
internal sealed record RowError(int ExitCode, string Kind, string Message);

/// <summary>A partition in <c>aof status</c>.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="Exists">Whether an active silo holds it (false: it was never appended to, or its silo is down).</param>
/// <param name="HeldBy">The active silos that hold it on disk, and whether it is open there.</param>
/// <param name="Silo">The silo serving it (its owner).</param>
/// <param name="State">Open, Faulted or Closed.</param>
/// <param name="FaultReason">Why it is faulted.</param>
/// <param name="FirstId">First id still held.</param>
/// <param name="LastId">Last id written (-1 when empty).</param>
/// <param name="DurableId">Last durable id (-1 when none).</param>
/// <param name="NextId">The id the next append gets.</param>
/// <param name="WriterEpoch">The writer epoch of the serving activation.</param>
/// <param name="FlushPolicy">The flush policy in its text form (Sync, Batched:N, Periodic:T, BatchedOrPeriodic:N:T, Async).</param>
/// <param name="Segments">Every segment with its status and size.</param>
/// <param name="Flush">Flush statistics since the partition was opened.</param>
/// <param name="Error">Why its state could not be read.</param>
/// <param name="Archive">Its archive backlog and archival error (null when the silo does not report them).</param>
internal sealed record PartitionStatusDocument(
    string Log,
    string Partition,
    bool Exists,
    IReadOnlyList<PartitionHolder> HeldBy,
    string? Silo,
    string? State,
    string? FaultReason,
    long? FirstId,
    long? LastId,
    long? DurableId,
    long? NextId,
    long? WriterEpoch,
    string? FlushPolicy,
    IReadOnlyList<SegmentSummary>? Segments,
    FlushDocument? Flush,
    RowError? Error,
    ArchiveDocument? Archive = null)
{
    public static PartitionStatusDocument Missing(string log, string partition) =>
        new(log, partition, false, [], null, null, null, null, null, null, null, null, null, null, null, null);

    public static PartitionStatusDocument From(PartitionStatus info, IReadOnlyList<PartitionHolder> holders, FlushStatistics flush) => new(
        info.Log,
        info.Partition,
        true,
        holders,
        info.Silo,
        info.State,
        info.FaultReason,
        info.FirstId,
        info.LastId,
        info.DurableId,
        info.NextId,
        info.WriterEpoch,
        FormatPolicy(info.FlushPolicy),
        info.Segments,
        FlushDocument.From(flush),
        null,
        ArchiveDocument.From(info.Archive));

    /// <summary>The engine's text form of a flush policy.</summary>
    private static string FormatPolicy(LogFlushPolicy policy) => (policy.Kind switch
    {
        LogFlushPolicyKind.Batched => Engine.FlushPolicy.Batched(policy.Records),
        LogFlushPolicyKind.Periodic => Engine.FlushPolicy.Periodic(policy.Interval),
        LogFlushPolicyKind.BatchedOrPeriodic => Engine.FlushPolicy.BatchedOrPeriodic(policy.Records, policy.Interval),
        LogFlushPolicyKind.Async => Engine.FlushPolicy.Async,
        _ => Engine.FlushPolicy.Sync,
    }).ToString();
}

/// <summary>The archive side of a partition in <c>aof status</c>.</summary>
/// <param name="Configured">Whether its silo has an archive.</param>
/// <param name="BacklogSegments">Sealed segments waiting for archival.</param>
/// <param name="BacklogBytes">Their bytes.</param>
/// <param name="MaxBacklogSegments">The bound beyond which appends are refused.</param>
/// <param name="MaxBacklogBytes">The bound in bytes.</param>
/// <param name="RefusesAppends">Whether the backlog is over a bound, so appends are refused (LogBackpressureException, ArchiveBacklog).</param>
/// <param name="Error">Why the last archival run failed (null once a run succeeded).</param>
/// <param name="ErrorSince">When the runs started failing.</param>
/// <param name="FailedRuns">Runs that failed in a row.</param>
internal sealed record ArchiveDocument(
    bool Configured,
    int BacklogSegments,
    long BacklogBytes,
    int MaxBacklogSegments,
    long MaxBacklogBytes,
    bool RefusesAppends,
    string? Error,
    DateTimeOffset? ErrorSince,
    int FailedRuns)
{
    public static ArchiveDocument? From(PartitionArchiveStatus? a) => a is null ? null
        : new(a.Configured, a.BacklogSegments, a.BacklogBytes, a.MaxBacklogSegments, a.MaxBacklogBytes, a.RefusesAppends, a.Error, a.ErrorSince, a.FailedRuns);
}

/// <summary>Flush statistics of a partition since it was opened.</summary>
/// <param name="TotalFlushes">Flushes attempted.</param>
/// <param name="FailedFlushes">Flushes that failed.</param>
/// <param name="RecordsFlushed">Records made durable.</param>
/// <param name="BytesFlushed">Bytes made durable.</param>
/// <param name="PendingRecords">Records written but not durable yet.</param>
/// <param name="RecordsPerFlush">Mean records per successful flush.</param>
/// <param name="MaxRecordsPerFlush">Most records one flush made durable.</param>
/// <param name="LatencyP50Ms">Median flush duration, milliseconds.</param>
/// <param name="LatencyP99Ms">99th percentile flush duration, milliseconds.</param>
internal sealed record FlushDocument(
    long TotalFlushes,
    long FailedFlushes,
    long RecordsFlushed,
    long BytesFlushed,
    long PendingRecords,
    double RecordsPerFlush,
    long MaxRecordsPerFlush,
    double LatencyP50Ms,
    double LatencyP99Ms)
{
    public static FlushDocument From(FlushStatistics s) => new(
        s.TotalFlushes, s.FailedFlushes, s.RecordsFlushed, s.BytesFlushed, s.PendingRecords, Math.Round(s.RecordsPerFlush, 2), s.MaxRecordsPerFlush,
        Math.Round(s.LatencyP50.TotalMilliseconds, 3), Math.Round(s.LatencyP99.TotalMilliseconds, 3));
}
