using System.Globalization;
using OrleansAof.Cli.Commands;
using OrleansAof.Storage.Offline;
using Spectre.Console;

namespace OrleansAof.Cli;

/// <summary>Human output of the offline commands: a table per partition and a sentence per finding.</summary>
internal static class ReportRenderer
{
    public static void Render(IAnsiConsole console, InspectionReport report)
    {
        foreach (var partition in report.Partitions)
        {
            Render(console, partition, report.Verified);
            console.WriteLine();
        }

        var damaged = report.Partitions.Count(static p => p.Health == PartitionHealth.Damaged);
        var torn = report.Partitions.Count(static p => p.Health == PartitionHealth.TornTail);
        var clean = report.Partitions.Count - damaged - torn;
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"{report.Partitions.Count} partition(s): [green]{clean} clean[/], [yellow]{torn} with a torn tail[/], [red]{damaged} damaged[/]. {(report.Verified ? "Every checksum verified" : "Sealed segments read from their footers")}; {Bytes(report.BytesRead)} of segment files.");
    }

    public static void Render(IAnsiConsole console, PartitionReport partition, bool verified)
    {
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"[bold]{partition.Log}/{partition.Partition}[/]  {partition.Path}");
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"  health: [{Colour(partition.Health)}]{partition.Health}[/]   writer lock: [{(partition.Locked ? "yellow" : "default")}]{(partition.Locked ? "held by a writer" : "free")}[/]   epoch: {partition.WriterEpoch}   segments: {partition.Segments.Count}   records: {partition.TotalRecords}   ids: {Range(partition.FirstLocalId, partition.LastId)}   size: {Bytes(partition.TotalBytes)}");
        if (partition.Locked)
        {
            console.MarkupLine("  [yellow]A writer holds the partition: the active segment may change while it is read.[/]");
        }

        var table = new Table().Border(TableBorder.Simple);
        table.AddColumns("base id", "last id", "records", "status", "size", "checkpoints", "epoch", "created (UTC)", "sealed (UTC)");
        foreach (var s in partition.Segments)
        {
            table.AddRow(
                Text(s.BaseId.ToString(CultureInfo.InvariantCulture)),
                Text(s.LastId >= s.BaseId ? s.LastId.ToString(CultureInfo.InvariantCulture) : "-"),
                Text(s.RecordCount.ToString(CultureInfo.InvariantCulture)),
                new Markup(Markup.Escape(s.Condition.ToString()), new Style(Colour(s.Condition))),
                Text(Bytes(s.FileSize)),
                Text(!s.Scanned ? "-" : s.LastCheckpoint is { } c ? $"{s.CheckpointCount}, last @{c.Offset}" : "0"),
                Text(s.WriterEpoch?.ToString(CultureInfo.InvariantCulture) ?? "-"),
                Text(Time(s.CreatedAt)),
                Text(Time(s.SealedAt)));
        }

        console.Write(table);
        foreach (var s in partition.Segments)
        {
            Findings(console, s);
        }

        foreach (var e in partition.Evicted)
        {
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"  evicted to the archive: ids {e.BaseId}..{e.LastId} ({e.ArchiveKey})");
        }

        foreach (var w in partition.WithoutFile)
        {
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"  [red]no file[/]: ids {w.BaseId}..{w.LastId} ({w.FileName}, catalog status {w.Status}): {w.Consequence}");
        }

        foreach (var q in partition.Quarantined)
        {
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                $"  [yellow]quarantined[/]: {q.FileName} ({Bytes(q.SizeBytes)}){(q.InCatalog ? "" : ", not recorded in the catalog")}");
        }

        foreach (var c in partition.Continuity)
        {
            var what = c.Kind == ContinuityKind.Gap ? $"ids {c.ExpectedId}..{c.FoundBaseId - 1} are missing before {c.FileName}" : $"{c.FileName} starts at {c.FoundBaseId}, but the segment before it reaches {c.ExpectedId - 1}";
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"  [{(c.Quarantined ? "yellow" : "red")}]{c.Kind}[/]: {what}{(c.Quarantined ? " (quarantined)" : "")}");
        }

        if (partition.CatalogProblem is { } problem)
        {
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"  catalog: {problem}");
        }

        if (!verified && partition.Segments.Any(static s => s.Condition == SegmentCondition.Sealed))
        {
            console.MarkupLine("  [grey]Sealed segments were read from their footers; 'aof verify' checks every record.[/]");
        }
    }

    public static void Render(IAnsiConsole console, RepairResult result, PartitionReport? after)
    {
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[bold]repair {result.Kind}[/]  {result.PartitionPath}");
        if (result.Steps.Count > 0)
        {
            var table = new Table().Border(TableBorder.Simple);
            table.AddColumns("base id", "action", "records dropped");
            foreach (var step in result.Steps)
            {
                table.AddRow(Text(step.BaseId.ToString(CultureInfo.InvariantCulture)), Text(step.Action), Text(step.RecordsDropped.ToString(CultureInfo.InvariantCulture)));
            }

            console.Write(table);
        }

        console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"{result.Summary}");
        if (result.Steps.Count > 0 && !result.Applied)
        {
            console.MarkupLine("[yellow]Nothing was changed.[/] Run the same command with --yes to apply it.");
        }

        if (after is not null)
        {
            console.WriteLine();
            console.MarkupLine("After the repair:");
            Render(console, after, verified: false);
        }
    }

    public static void Render(IAnsiConsole console, RestoreDocument restore)
    {
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[bold]restore {restore.Log}/{restore.Partition}[/]  {restore.PartitionPath}");
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"  from {restore.Archive}: {restore.ArchivedSegments} archived segment(s); fetched back: {(restore.Downloaded.Count == 0 ? "none (local segments were present)" : string.Join(", ", restore.Downloaded))}");
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"  state: {restore.State}   first id: {restore.FirstId}   last id: {restore.LastId}   next append gets id {restore.NextId}   writer epoch: {restore.WriterEpoch}");
        if (restore.FaultReason is { } fault)
        {
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"  [red]faulted[/]: {fault}");
        }

        var table = new Table().Border(TableBorder.Simple);
        table.AddColumns("base id", "last id", "records", "status", "archive key");
        foreach (var s in restore.Segments)
        {
            table.AddRow(
                Text(s.BaseId.ToString(CultureInfo.InvariantCulture)),
                Text(s.LastId >= s.BaseId ? s.LastId.ToString(CultureInfo.InvariantCulture) : "-"),
                Text(s.RecordCount.ToString(CultureInfo.InvariantCulture)),
                Text(s.Status.ToString()),
                Text(s.ArchiveKey ?? "-"));
        }

        console.Write(table);
    }

    private static void Findings(IAnsiConsole console, SegmentReport s)
    {
        switch (s.Condition)
        {
            case SegmentCondition.TornTail when s.TornTail is { } cut:
                console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                    $"  [yellow]{s.FileName}[/]: {s.Detail}.{(cut.DiscardedRecords > 0 ? $" Discarded ids: {cut.FirstDiscardedId}..{cut.LastDiscardedId}." : "")} 'aof repair --truncate-torn-tail' does it now; the next open does it anyway.");
                break;
            case SegmentCondition.Damaged when s.Damage is { } d:
                console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"  [red]{s.FileName}[/]: {s.Detail}.");
                console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"    proof: {d.Proof}.");
                if (d.Cut is { } c)
                {
                    console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                        $"    'aof repair --cut-at-damage' would keep {c.KeepRecords} record(s) through id {c.LastKeptId} and drop ids {d.LostFirstId}..{d.LostLastId} ({d.LostIds} record(s)).");
                }

                foreach (var p in s.Problems.Skip(1))
                {
                    console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"    also: {p}");
                }

                break;
            case SegmentCondition.HeaderDamaged:
                console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"  [red]{s.FileName}[/]: {s.Detail}.");
                break;
            case SegmentCondition.Unsealed or SegmentCondition.Empty when s.FooterError is not null && !s.IsLast:
                console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"  {s.FileName}: {s.Detail} ({s.FooterError}).");
                break;
        }
    }

    private static Text Text(string value) => new(value);

    private static string Colour(PartitionHealth health) => health switch
    {
        PartitionHealth.Clean => "green",
        PartitionHealth.TornTail => "yellow",
        _ => "red",
    };

    private static Color Colour(SegmentCondition condition) => condition switch
    {
        SegmentCondition.Sealed or SegmentCondition.Active or SegmentCondition.Empty or SegmentCondition.Unsealed => Color.Green,
        SegmentCondition.TornTail => Color.Yellow,
        _ => Color.Red,
    };

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
