using OrleansAof.Cli.Cluster;

namespace OrleansAof.Cli.Commands;

/// <summary>The JSON document of <c>aof status</c>.</summary>
/// <param name="Cluster">Where the tool connected.</param>
/// <param name="Silos">Every silo membership knows of, active ones first.</param>
/// <param name="Log">The log asked about, if any.</param>
/// <param name="Logs">Every log some active silo holds partitions of (only the asked log with --log).</param>
/// <param name="Partitions">The partitions asked about.</param>
internal sealed record StatusDocument(string Cluster, IReadOnlyList<SiloDocument> Silos, string? Log, IReadOnlyList<LogSummary> Logs, IReadOnlyList<PartitionStatusDocument> Partitions);
