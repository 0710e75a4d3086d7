using System.CommandLine;
using System.Globalization;

namespace OrleansAof.Cli.Commands;

/// <summary><c>aof flush --log L --partition P</c>: makes everything appended so far durable; prints the durable id.</summary>
internal sealed class FlushCommand(CliEnvironment environment) : ClusterCommand(environment)
{
    public override Command Build() => PartitionCallCommand(
        "flush",
        "Make every record appended to a partition so far durable (fsync), whatever its flush policy; print the durable id. "
            + "Exit 8 when no active silo holds the partition.",
        async (grain, log, partition) => new FlushResultDocument(log, partition, await grain.FlushAsync()),
        CliJsonContext.Output.FlushResultDocument,
        static (key, d) => d.DurableId >= 0
            ? string.Create(CultureInfo.InvariantCulture, $"{key}: durable through id {d.DurableId}")
            : $"{key}: empty, nothing to flush");
}

/// <summary><c>aof seal --log L --partition P</c>: seals the active segment (the next append starts a new one); prints the sealed segment.</summary>
internal sealed class SealCommand(CliEnvironment environment) : ClusterCommand(environment)
{
    public override Command Build() => PartitionCallCommand(
        "seal",
        "Seal a partition's active segment (footer, index, fsync) so it can be archived; appends continue in a new segment. "
            + "An empty active segment is left as it is. Exit 8 when no active silo holds the partition.",
        async (grain, log, partition) => new SealResultDocument(log, partition, await grain.SealAsync()),
        CliJsonContext.Output.SealResultDocument,
        static (key, d) => d.Sealed is { } s
            ? string.Create(CultureInfo.InvariantCulture, $"{key}: sealed {s.FileName}, ids {s.BaseId}..{s.LastId} ({s.RecordCount} record(s), {s.SizeBytes} bytes); the next append starts a new segment")
            : $"{key}: the active segment is empty, nothing to seal");
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
