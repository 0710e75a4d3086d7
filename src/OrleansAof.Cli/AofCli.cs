using System.CommandLine;
using System.CommandLine.Invocation;
using OrleansAof.Cli.Commands;

namespace OrleansAof.Cli;

/// <summary>
/// The <c>aof</c> command line: one class per command under <c>Commands/</c>, each building its <see cref="Command"/>;
/// output, JSON and exit-code handling are shared through <see cref="CommandOutput"/>. To add a command, write a class
/// deriving from <see cref="AofCommand"/> and list it in <see cref="CreateCommands"/>.
/// </summary>
internal static class AofCli
{
    /// <summary>Every command of the tool.</summary>
    public static IReadOnlyList<AofCommand> CreateCommands(CliEnvironment environment) =>
    [
        new InspectCommand(environment),
        new VerifyCommand(environment),
        new RepairCommand(environment),
        new RestoreCommand(environment),
        new StatusCommand(environment),
        new AppendCommand(environment),
        new ReadCommand(environment),
        new TailCommand(environment),
        new FlushCommand(environment),
        new SealCommand(environment),
        new DrainCommand(environment),
    ];

    /// <summary>Builds the root command.</summary>
    public static RootCommand BuildRootCommand(CliEnvironment environment)
    {
        var root = new RootCommand("aof: the OrleansAof operator tool. Cluster commands (status, append, read, tail, flush, seal, drain) connect "
            + "through --gateway host:port (default " + Cluster.ClusterConnectionSettings.DefaultGateway + ", the silo host's default) or --redis; "
            + "offline commands (inspect, verify, repair, restore) work on partition directories ({data-root}/{log}/{partition}). "
            + "Every command takes --json for one JSON document on stdout.\n\n" + ExitCodes.HelpText);
        foreach (var command in CreateCommands(environment))
        {
            root.Add(command.Build());
        }

        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        var root = BuildRootCommand(environment);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction)
        {
            foreach (var error in parsed.Errors)
            {
                await environment.Error.WriteLineAsync("aof: " + error.Message);
            }

            await environment.Error.WriteLineAsync("Run 'aof --help' or 'aof <command> --help' for usage.");
            if (WantsJson(args))
            {
                new CommandOutput(environment, json: true).WriteJson(
                    new ErrorDocument(new ErrorBody("usage", string.Join(" ", parsed.Errors.Select(static e => e.Message))), ExitCodes.Usage),
                    CliJsonContext.Output.ErrorDocument);
            }

            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration { Output = environment.Out, Error = environment.Error, EnableDefaultExceptionHandler = false };
        return await parsed.InvokeAsync(configuration, cancellationToken);
    }

    /// <summary>
    /// Whether the command line asks for JSON, read from the raw arguments because the parse failed: <c>--json</c>,
    /// <c>--json true</c>, <c>--json=true</c> or <c>--json:true</c> (anything but <c>false</c>); arguments after <c>--</c> are not options.
    /// </summary>
    private static bool WantsJson(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                return false;
            }

            if (arg == "--json")
            {
                return i + 1 >= args.Length || !args[i + 1].Equals("false", StringComparison.OrdinalIgnoreCase);
            }

            if (arg.StartsWith("--json=", StringComparison.Ordinal) || arg.StartsWith("--json:", StringComparison.Ordinal))
            {
                return !arg["--json=".Length..].Equals("false", StringComparison.OrdinalIgnoreCase);
            }
        }

        return false;
    }
}
