using System.CommandLine;
using OrleansAof.Storage.Offline;

namespace OrleansAof.Cli.Commands;

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
