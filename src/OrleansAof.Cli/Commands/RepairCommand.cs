using System.CommandLine;
using OrleansAof.Storage.Offline;

namespace OrleansAof.Cli.Commands;

/// <summary>
/// <c>aof repair &lt;partition-dir&gt; (--truncate-torn-tail | --cut-at-damage | --quarantine &lt;baseId&gt;) [--yes]</c>.
/// Without <c>--yes</c> it prints the plan, changes nothing and exits 4.
/// </summary>
internal sealed class RepairCommand(CliEnvironment environment) : AofCommand(environment)
{
    public override Command Build()
    {
        var path = new Argument<string>("partition-dir") { Description = "The partition directory ({data-root}/{log}/{partition})." };
        var truncate = new Option<bool>("--truncate-torn-tail")
        {
            Description = "Cut torn tails back exactly as recovery would (zero from the cut to the last non-zero byte, fsync). Loses no acknowledged record.",
        };
        var cut = new Option<bool>("--cut-at-damage")
        {
            Description = "Cut the active segment at its damage point so the partition accepts appends again. Drops every record after the damage; the plan says which ids.",
        };
        var quarantine = new Option<long?>("--quarantine")
        {
            Description = "Move the damaged sealed segment with this base id to quarantine/ and record it in the catalog. Not allowed for the active (last) segment.",
            HelpName = "baseId",
        };
        var yes = new Option<bool>("--yes") { Description = "Apply the repair. Without it the plan is printed, nothing changes, and the exit code is 4." };
        var json = JsonOption();
        var maxRecord = MaxRecordBytesOption();
        var command = new Command("repair", "Repair a partition that no writer holds (it takes the partition's lock; exit 5 while a writer holds it). "
            + "Choose exactly one of --truncate-torn-tail, --cut-at-damage, --quarantine <baseId>.")
        {
            path, truncate, cut, quarantine, yes, json, maxRecord,
        };
        command.Validators.Add(result =>
        {
            var chosen = (result.GetValue(truncate) ? 1 : 0) + (result.GetValue(cut) ? 1 : 0) + (result.GetResult(quarantine) is not null ? 1 : 0);
            if (chosen != 1)
            {
                result.AddError("Choose exactly one of --truncate-torn-tail, --cut-at-damage, --quarantine <baseId>.");
            }
        });
        command.SetAction((parse, cancellationToken) =>
        {
            var output = Output(parse.GetValue(json));
            return output.RunAsync(async () =>
            {
                var kind = parse.GetValue(truncate) ? RepairKind.TruncateTornTail : parse.GetValue(cut) ? RepairKind.CutAtDamage : RepairKind.Quarantine;
                var apply = parse.GetValue(yes);
                var options = new InspectionOptions { MaxRecordBytes = parse.GetValue(maxRecord) };
                var directory = parse.GetRequiredValue(path);
                var result = await Task.Run(() => new PartitionRepair(options, Environment.FileSystem).Run(directory, kind, parse.GetValue(quarantine), apply), cancellationToken);
                PartitionReport? after = null;
                if (result.Applied)
                {
                    after = await Task.Run(() => new PartitionInspector(options, Environment.FileSystem).InspectPartition(directory, null, cancellationToken), cancellationToken);
                }

                var exitCode = result.Steps.Count > 0 && !result.Applied ? ExitCodes.ConfirmationRequired : ExitCodes.Ok;
                if (output.Json)
                {
                    output.WriteJson(new RepairDocument(result, after, exitCode), CliJsonContext.Output.RepairDocument);
                }
                else
                {
                    ReportRenderer.Render(output.Console, result, after);
                }

                return exitCode;
            });
        });
        return command;
    }
}
