using System.Globalization;

namespace OrleansAof.Cli.Cluster;

/// <summary>Partition names in the order people expect: numeric names by value (0, 1, 2, 10), then the others ordinally.</summary>
internal sealed class PartitionNameComparer : IComparer<string>
{
    public static PartitionNameComparer Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        var xNumber = long.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var xn);
        var yNumber = long.TryParse(y, NumberStyles.None, CultureInfo.InvariantCulture, out var yn);
        return (xNumber, yNumber) switch
        {
            (true, true) => xn != yn ? xn.CompareTo(yn) : string.CompareOrdinal(x, y),
            (true, false) => -1,
            (false, true) => 1,
            _ => string.CompareOrdinal(x, y),
        };
    }
}
