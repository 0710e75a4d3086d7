namespace OrleansAof.Cli;

/// <summary>The JSON document of a failed command.</summary>
/// <param name="Error">What went wrong.</param>
/// <param name="ExitCode">The exit code.</param>
internal sealed record ErrorDocument(ErrorBody Error, int ExitCode);
