using System.Globalization;
using OrleansAof.Cli.Commands;
using Spectre.Console;

namespace OrleansAof.Cli;

/// <summary>Human output of the cluster commands.</summary>
internal static class ClusterRenderer
{
    public static void Render(IAnsiConsole console, StatusDocument status)
    {
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[bold]cluster[/]  {status.Cluster}");
        var silos = new Table().Border(TableBorder.Simple);
        silos.AddColumns("silo", "address", "status", "gateway", "started (UTC)", "last alive (UTC)", status.Log is null ? "partitions" : $"{status.Log} partitions", "open", "data root");
        foreach (var s in status.Silos)
        {
            silos.AddRow(
                Text(s.Name),
                Text($"{s.Address}@{s.Generation}"),
                new Markup(Markup.Escape(s.Status), new Style(s.Status == "Active" ? Color.Green : s.Status == "Dead" ? Color.Grey : Color.Yellow)),
                Text(s.GatewayPort > 0 ? s.GatewayPort.ToString(CultureInfo.InvariantCulture) : "-"),
                Text(Time(s.StartTime)),
                Text(Time(s.LastAlive)),
                Text(s.Error is not null ? "no answer" : Number(s.Partitions)),
                Text(Number(s.OpenPartitions)),
                Text(s.DataRoot ?? "-"));
        }

        console.Write(silos);
        foreach (var s in status.Silos.Where(static s => s.Error is not null))
        {
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"  [yellow]{s.Name}[/] did not list its partitions: {s.Error}");
        }

        if (status.Log is null)
        {
            if (status.Logs.Count == 0)
            {
                console.MarkupLine("No partition on any active silo yet.");
                return;
            }

            var logs = new Table().Border(TableBorder.Simple);
            logs.AddColumns("log", "partitions", "open");
            foreach (var l in status.Logs)
            {
                logs.AddRow(Text(l.Log), Text(l.Partitions.ToString(CultureInfo.InvariantCulture)), Text(l.Open.ToString(CultureInfo.InvariantCulture)));
            }

            console.Write(logs);
            console.MarkupLine("[grey]aof status --log <log> shows a log's partitions.[/]");
            return;
        }

        if (status.Partitions.Count == 0)
        {
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"No active silo holds a partition of {status.Log}.");
        }

        foreach (var p in status.Partitions)
        {
            console.WriteLine();
            Render(console, p);
        }
    }

    public static void Render(IAnsiConsole console, PartitionStatusDocument p)
    {
        var held = p.HeldBy.Count == 0 ? "no silo that answered" : string.Join(", ", p.HeldBy.Select(static h => h.Open ? $"{h.Silo} (open)" : h.Silo));
        if (p.Error is { } error)
        {
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[bold]{p.Log}/{p.Partition}[/]  on disk of {held}  [red]{error.Kind}[/]: {error.Message}");
            return;
        }

        if (!p.Exists)
        {
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[bold]{p.Log}/{p.Partition}[/]  [grey]missing: no active silo holds it (never appended to, or its silo is down)[/]");
            return;
        }

        var stateColour = p.State == "Open" ? "green" : "red";
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[bold]{p.Log}/{p.Partition}[/]  served by {p.Silo}  on disk of {held}");
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"  state: [{stateColour}]{p.State}[/]   ids: {Range(p.FirstId, p.LastId)}   durable: {p.DurableId}   next id: {p.NextId}   epoch: {p.WriterEpoch}   flush policy: {p.FlushPolicy}");
        if (p.FaultReason is { } fault)
        {
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"  [red]faulted[/]: {fault}");
        }

        var table = new Table().Border(TableBorder.Simple);
        table.AddColumns("base id", "last id", "records", "status", "size", "epoch", "created (UTC)", "sealed (UTC)");
        foreach (var s in p.Segments ?? [])
        {
            table.AddRow(
                Text(s.BaseId.ToString(CultureInfo.InvariantCulture)),
                Text(s.LastId >= s.BaseId ? s.LastId.ToString(CultureInfo.InvariantCulture) : "-"),
                Text(s.RecordCount.ToString(CultureInfo.InvariantCulture)),
                new Markup(Markup.Escape(s.Status), new Style(Colour(s.Status))),
                Text(Bytes(s.SizeBytes)),
                Text(s.WriterEpoch.ToString(CultureInfo.InvariantCulture)),
                Text(Time(s.CreatedAt)),
                Text(Time(s.SealedAt)));
        }

        console.Write(table);
        if (p.Archive is { Configured: true } a)
        {
            var refused = a.RefusesAppends ? "  [red]appends refused until archiving catches up[/]" : "";
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                $"  archive backlog: {a.BacklogSegments} segment(s), {Bytes(a.BacklogBytes)} (bound {a.MaxBacklogSegments} segment(s), {Bytes(a.MaxBacklogBytes)})");
            if (refused.Length > 0)
            {
                console.MarkupLine(refused);
            }

            if (a.Error is { } archiveError)
            {
                console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                    $"  [red]archiving fails[/] since {Time(a.ErrorSince)} UTC ({a.FailedRuns} failed run(s)): {archiveError}");
            }
        }

        if (p.Flush is { } f)
        {
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                $"  flushes: {f.TotalFlushes} ({f.FailedFlushes} failed), {f.RecordsFlushed} records, {Bytes(f.BytesFlushed)}, {f.RecordsPerFlush:0.##} records/flush (max {f.MaxRecordsPerFlush}), p50 {f.LatencyP50Ms:0.###} ms, p99 {f.LatencyP99Ms:0.###} ms, pending {f.PendingRecords}");
        }
    }

    public static void Render(IAnsiConsole console, AppendDocument append)
    {
        var durable = append.Batches.All(static b => b.Durable != false) ? "durable" : "written, not all durable yet";
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"{append.Log}/{append.Partition}: {append.Records} record(s) in {append.Batches.Count} batch(es), {append.Appended} appended now, {append.Duplicates} already appended by an earlier run; {durable}");
        foreach (var b in append.Batches)
        {
            var ids = b.FirstId is { } first && b.LastId is { } last ? (first == last ? $"id {first}" : $"ids {first}..{last}") : "ids not known";
            var note = b.Outcome switch
            {
                AppendOutcome.Duplicate => " (appended by an earlier run with this producer id)",
                AppendOutcome.AlreadyAppended => " (appended by an earlier run with this producer id; the partition no longer remembers its ids)",
                _ => "",
            };
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"  batch {b.Sequence}: {b.Records} record(s), {ids}{note}");
        }

        console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"producer id {append.ProducerId}: rerun with --producer-id {append.ProducerId} and the same input to retry without duplicates.");
    }

    private static Text Text(string value) => new(value);

    private static Color Colour(string status) => status switch
    {
        "Active" or "Sealed" or "Archived" or "LocalEvicted" => Color.Green,
        "Archiving" => Color.Yellow,
        _ => Color.Red,
    };

    private static string Number(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Range(long? first, long? last) => first is { } f && last is { } l && l >= f ? $"{f}..{l}" : "none";

    private static string Time(DateTimeOffset? time) => time?.UtcDateTime.ToString("MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.#} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB",
    };
}
