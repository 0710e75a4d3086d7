using System.CommandLine;
using OrleansAof.Storage.Offline;

namespace OrleansAof.Cli.Commands;

/// <summary>Base of every <c>aof</c> command: builds its <see cref="Command"/> and shares the common options.</summary>
internal abstract class AofCommand(CliEnvironment environment)
{
    /// <summary>Where the command writes and what it runs against.</summary>
    protected CliEnvironment Environment { get; } = environment;

    /// <summary>Builds the command with its arguments, options and action.</summary>
    public abstract Command Build();

    /// <summary><c>--json</c>, on every command.</summary>
    protected static Option<bool> JsonOption() => new("--json")
    {
        Description = "Print one JSON document on stdout (for scripts) and nothing else; errors too. No progress bar.",
    };

    /// <summary><c>--max-record-bytes</c> for the offline scans.</summary>
    protected static Option<int> MaxRecordBytesOption() => new("--max-record-bytes")
    {
        Description = "Largest plausible record payload, as the partition's MaxRecordBytes (default 1 MiB, the engine's default).",
        DefaultValueFactory = _ => new InspectionOptions().MaxRecordBytes,
    };

    /// <summary>The output helper for one invocation.</summary>
    protected CommandOutput Output(bool json) => new(Environment, json);
}
