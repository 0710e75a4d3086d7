using System.Globalization;

namespace OrleansAof.Server;

/// <summary>What <see cref="AppendLogHealth.Check"/> found.</summary>
/// <param name="IsReady">Whether the silo has started and is not stopping.</param>
/// <param name="OpenPartitions">Partitions open on the silo.</param>
/// <param name="ProblemCount">How many problems there are.</param>
/// <param name="Problems">The first few of them, one line each (partition, what, since when, the error).</param>
public sealed record AppendLogHealthReport(bool IsReady, int OpenPartitions, int ProblemCount, IReadOnlyList<string> Problems)
{
    /// <summary>Whether the silo serves, but archiving fails or some partition refuses appends for its archive backlog.</summary>
    public bool IsDegraded => ProblemCount > 0;

    /// <summary>The problems as one text: each on its own line, and how many more there are.</summary>
    public string Describe() =>
        ProblemCount == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{OpenPartitions} partition(s) open")
            : string.Join('\n', Problems) + (ProblemCount > Problems.Count ? string.Create(CultureInfo.InvariantCulture, $"\n... and {ProblemCount - Problems.Count} more") : "");
}
