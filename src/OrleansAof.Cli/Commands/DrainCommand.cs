using System.CommandLine;
using System.Globalization;

namespace OrleansAof.Cli.Commands;

/// <summary>
/// <c>aof drain SILO [--to SILO]...</c>: moves every partition of a silo to other silos with zero loss, one partition
/// at a time (seal, archive, hand over through the ownership table; the new owner continues after the archived last
/// id), printing each move as it finishes.
/// </summary>
internal sealed class DrainCommand(CliEnvironment environment) : ClusterCommand(environment)
{
    /// <summary>
    /// How long one partition's move may take: it seals and uploads the partition's unarchived segments (a few 64 MiB
    /// segments to a slow store take minutes).
    /// </summary>
    private static readonly TimeSpan MoveTimeout = TimeSpan.FromMinutes(10);

    public override Command Build()
    {
        var silo = new Argument<string>("silo") { Description = "The name of the silo to drain (its Aof:SiloName, the pod name on Kubernetes)." };
        var to = new Option<string[]>("--to")
        {
            Description = "A silo to move partitions to (repeatable). Default: every other configured silo (Aof:Silos), chosen per partition by the same hashing as placement.",
            HelpName = "silo",
            Arity = ArgumentArity.OneOrMore,
        };
        var only = new Option<string[]>("--partition")
        {
            Description = "Move only this partition of the silo, as log/partition (repeatable); with --to, how partitions are handed to a new silo when scaling out.",
            HelpName = "log/partition",
            Arity = ArgumentArity.OneOrMore,
        };
        var json = JsonOption();
        var connection = new ConnectionOptions();
        var command = new Command("drain", "Move every partition of a silo to other silos with zero loss: each partition stops taking appends (clients get the "
            + "retryable PartitionUnavailableException for a moment), is sealed and fully archived, the ownership table names its new owner, its local "
            + "folder is moved to {data-root}/.handed-over/ and the new owner continues after the archived last id. Needs an archive. "
            + "Exit 0 when every partition moved, 3 when one could not (it stays on the silo, appending again; rerun the drain), 8 when no active silo has the name.")
        {
            silo, to, only, json,
        };
        connection.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var output = Output(parse.GetValue(json));
            return output.RunAsync(async () =>
            {
                var name = parse.GetRequiredValue(silo);
                var targets = parse.GetValue(to) is { Length: > 0 } t ? t.Distinct(StringComparer.Ordinal).ToArray() : null;
                await using var session = await ConnectAsync(parse, connection, cancellationToken, responseTimeout: MoveTimeout);
                var view = await LookAsync(session, null);
                var active = view.Listings.Keys.Order(StringComparer.Ordinal).ToList();
                if (!view.Listings.TryGetValue(name, out var listing))
                {
                    return output.Fail(ExitCodes.NotFound, "not-found", $"No active silo is named '{name}' (active: {string.Join(", ", active)}); nothing was moved.");
                }

                if (targets?.FirstOrDefault(x => x == name || !view.Listings.ContainsKey(x)) is { } wrong)
                {
                    return output.Fail(ExitCodes.Usage, "usage", wrong == name
                        ? $"--to {wrong}: a silo cannot be drained into itself; nothing was moved."
                        : $"--to {wrong}: no active silo has that name (active: {string.Join(", ", active)}); nothing was moved.");
                }

                var held = listing.Partitions.Select(static p => p.Key).ToList();
                var selected = parse.GetValue(only) is { Length: > 0 } keys ? keys.Distinct(StringComparer.Ordinal).ToList() : held;
                if (selected.FirstOrDefault(k => !held.Contains(k, StringComparer.Ordinal)) is { } missing)
                {
                    return output.Fail(ExitCodes.NotFound, "not-found", $"--partition {missing}: silo '{name}' does not hold it; nothing was moved.");
                }

                var grain = session.Client.GetGrain<IAppendLogSiloGrain>(name);
                var moved = new List<DrainedPartition>();
                foreach (var key in selected)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var result = await grain.MovePartitionAsync(key, targets);
                    moved.Add(result);
                    if (!output.Json)
                    {
                        await output.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"[{moved.Count}/{selected.Count}] {Describe(result)}"));
                        await output.FlushAsync();
                    }
                }

                var report = new DrainReport(name, moved);
                var failed = moved.Count(static m => m.Error is not null);
                if (output.Json)
                {
                    output.WriteJson(report, CliJsonContext.Output.DrainReport);
                }
                else
                {
                    await output.Out.WriteLineAsync(selected.Count == 0
                        ? $"{name} holds no partition; nothing to move."
                        : failed == 0
                            ? string.Create(CultureInfo.InvariantCulture, $"{name}: {moved.Count} partition(s) moved.")
                            : string.Create(CultureInfo.InvariantCulture, $"{name}: {failed} of {moved.Count} partition(s) stayed (they append there again); fix the cause and rerun."));
                }

                return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
            });
        });
        return command;
    }

    private static string Describe(DrainedPartition result) => result.Error is null
        ? string.Create(CultureInfo.InvariantCulture, $"{result.Partition}: moved to {result.Target}; it continues after id {result.LastId}")
        : $"{result.Partition}: not moved: {result.Error}";
}
