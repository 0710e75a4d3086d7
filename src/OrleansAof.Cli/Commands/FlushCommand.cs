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
