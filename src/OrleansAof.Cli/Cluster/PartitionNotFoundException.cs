namespace OrleansAof.Cli.Cluster;

/// <summary>No active silo holds the partition; nothing was created.</summary>
internal sealed class PartitionNotFoundException(string message) : Exception(message);
