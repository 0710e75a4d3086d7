namespace OrleansAof.Cli.Cluster;

/// <summary>A silo that holds a partition.</summary>
/// <param name="Silo">The silo's name.</param>
/// <param name="Open">Whether the partition is open there.</param>
internal sealed record PartitionHolder(string Silo, bool Open);
