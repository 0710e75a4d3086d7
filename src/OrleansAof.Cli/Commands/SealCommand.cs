using System.CommandLine;
using System.Globalization;

namespace OrleansAof.Cli.Commands;

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
