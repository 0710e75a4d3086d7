namespace OrleansAof.Cli;

/// <summary>An error for scripts.</summary>
/// <param name="Kind">usage, failed, refused, cancelled, locked, unreachable, unavailable or not-found.</param>
/// <param name="Message">The message.</param>
internal sealed record ErrorBody(string Kind, string Message);
