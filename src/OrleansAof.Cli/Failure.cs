namespace OrleansAof.Cli;

/// <summary>How an error is reported.</summary>
/// <param name="ExitCode">The exit code (see <see cref="ExitCodes"/>).</param>
/// <param name="Kind">The error kind of the JSON error document.</param>
/// <param name="Message">The message.</param>
internal sealed record Failure(int ExitCode, string Kind, string Message);
