using System.CommandLine;
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

/// <summary>What inspect and verify share.</summary>
internal abstract class InspectionCommandBase(CliEnvironment environment) : AofCommand(environment)
{
    protected abstract string Name { get; }

    protected abstract string Description { get; }

    protected abstract bool Verify { get; }

    protected abstract int ExitCodeFor(InspectionReport report);

    public override Command Build()
    {
        var path = new Argument<string>("path") { Description = "A data root, a log folder, a partition folder or one segment file." };
        var json = JsonOption();
        var maxRecord = MaxRecordBytesOption();
        var command = new Command(Name, Description) { path, json, maxRecord };
        command.SetAction((parse, cancellationToken) =>
        {
            var output = Output(parse.GetValue(json));
            return output.RunAsync(async () =>
            {
                var inspector = new PartitionInspector(new InspectionOptions { Verify = Verify, MaxRecordBytes = parse.GetValue(maxRecord) }, Environment.FileSystem);
                var target = parse.GetRequiredValue(path);
                var report = await output.WithProgressAsync(Verify ? "verifying" : "inspecting", p => inspector.Inspect(target, p, cancellationToken), cancellationToken);
                if (output.Json)
                {
                    output.WriteJson(report, CliJsonContext.Output.InspectionReport);
                }
                else
                {
                    ReportRenderer.Render(output.Console, report);
                }

                return ExitCodeFor(report);
            });
        });
        return command;
    }
}
