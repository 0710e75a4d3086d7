namespace OrleansAof.Cli.Commands;

/// <summary>A log and how many of its partitions the active silos hold.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partitions">Partitions held.</param>
/// <param name="Open">Of those, open right now.</param>
internal sealed record LogSummary(string Log, int Partitions, int Open);
