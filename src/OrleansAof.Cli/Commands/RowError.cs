namespace OrleansAof.Cli.Commands;

/// <summary>Why a partition's state could not be read.</summary>
/// <param name="ExitCode">The exit code this error gives on its own.</param>
/// <param name="Kind">The error kind.</param>
/// <param name="Message">The message.</param>
internal sealed record RowError(int ExitCode, string Kind, string Message);
