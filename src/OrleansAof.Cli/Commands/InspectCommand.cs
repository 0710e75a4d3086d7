using OrleansAof.Storage.Offline;

namespace OrleansAof.Cli.Commands;

/// <summary>
/// <c>aof inspect &lt;path&gt;</c>: every partition under a data root, log folder, partition folder or one segment file,
/// as recovery would see it. Exit 0 unless damage is found (1).
/// </summary>
internal sealed class InspectCommand(CliEnvironment environment) : InspectionCommandBase(environment)
{
    protected override string Name => "inspect";

    protected override string Description => "Report partitions and their segments as recovery would see them: base/last id, records, status "
        + "(sealed, active, torn tail and what recovery would cut, damage with its proof, damaged header), checkpoints, sizes, epochs, "
        + "quarantined files, id gaps, and whether a writer holds the lock. Sealed segments are read from their footers (use 'verify' "
        + "to check every checksum). Exit 0, or 1 when damage is found.";

    protected override bool Verify => false;

    protected override int ExitCodeFor(InspectionReport report) => report.Health == PartitionHealth.Damaged ? ExitCodes.Findings : ExitCodes.Ok;
}
