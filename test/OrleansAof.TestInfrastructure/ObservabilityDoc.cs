namespace OrleansAof.TestInfrastructure;

/// <summary>One row of the instrument table of docs/observability.md.</summary>
/// <param name="Name">The instrument's name (<c>aof-flushes</c>).</param>
/// <param name="Prometheus">Its Prometheus name (a histogram's family name, without <c>_bucket</c>).</param>
/// <param name="Type"><c>counter</c>, <c>histogram</c> or <c>gauge</c>.</param>
/// <param name="Unit">Its unit as registered (<c>By</c>, <c>ms</c>, <c>{flush}</c>).</param>
/// <param name="Tags">The tag keys of its measurements.</param>
/// <param name="Seen">When it first has a series: <c>always</c> or <c>on ...</c>.</param>
public sealed record DocumentedInstrument(string Name, string Prometheus, string Type, string Unit, IReadOnlyList<string> Tags, string Seen);

/// <summary>Reads docs/observability.md.</summary>
public static class ObservabilityDoc
{
    /// <summary>The document's path.</summary>
    public static string Path { get; } = System.IO.Path.Combine(RepositoryPaths.Root, "docs", "observability.md");

    /// <summary>The rows of the instrument table, by instrument name.</summary>
    /// <exception cref="FormatException">A row does not have the table's 7 columns, or an instrument is listed twice.</exception>
    public static Dictionary<string, DocumentedInstrument> Instruments()
    {
        var rows = new Dictionary<string, DocumentedInstrument>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path).Where(l => l.StartsWith("| `aof-", StringComparison.Ordinal)))
        {
            var cells = line.Split('|').Select(c => c.Trim()).ToArray();
            if (cells.Length != 9)
            {
                throw new FormatException($"An instrument row of {Path} has 7 columns: {line}");
            }

            string[] tags = cells[5] == "—" ? [] : [.. cells[5].Split(',').Select(t => t.Trim().Trim('`'))];
            var row = new DocumentedInstrument(cells[1].Trim('`'), cells[2].Trim('`'), cells[3], cells[4].Trim('`'), tags, cells[6]);
            if (!rows.TryAdd(row.Name, row))
            {
                throw new FormatException($"{row.Name} is listed twice in {Path}.");
            }
        }

        return rows;
    }
}
