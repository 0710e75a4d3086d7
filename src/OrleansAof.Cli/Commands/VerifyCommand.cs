using OrleansAof.Storage.Offline;

namespace OrleansAof.Cli.Commands;

/// <summary>
/// <c>aof verify &lt;path&gt;</c>: like inspect, but checks every checksum of every segment. Exit 0 only when clean.
/// </summary>
internal sealed class VerifyCommand(CliEnvironment environment) : InspectionCommandBase(environment)
{
    protected override string Name => "verify";

    protected override string Description => "Check every checksum of every segment, sealed ones too: a full forward scan, the rolling "
        + "checksum against the metadata, the index against the scanned offsets, and a backward scan through the record trailers. "
        + "Exit 0 only when everything is clean; 1 on damage or a torn tail.";

    protected override bool Verify => true;

    protected override int ExitCodeFor(InspectionReport report) => report.Health == PartitionHealth.Clean ? ExitCodes.Ok : ExitCodes.Findings;
}
