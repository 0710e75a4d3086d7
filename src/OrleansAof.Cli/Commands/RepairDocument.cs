using OrleansAof.Storage.Offline;

namespace OrleansAof.Cli.Commands;

/// <summary>The JSON document of <c>aof repair</c>.</summary>
/// <param name="Repair">What was (or would be) done.</param>
/// <param name="After">The partition after the repair, when it was applied.</param>
/// <param name="ExitCode">The exit code.</param>
internal sealed record RepairDocument(RepairResult Repair, PartitionReport? After, int ExitCode);
