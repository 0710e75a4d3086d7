namespace OrleansAof.Cli.Cluster;

/// <summary>A silo as <c>aof status</c> reports it.</summary>
/// <param name="Name">The silo's name.</param>
/// <param name="Address">Its silo-to-silo endpoint.</param>
/// <param name="Generation">The generation of this incarnation (a restart gets a new one).</param>
/// <param name="Status">Membership status: Active, Joining, ShuttingDown, Stopping, Dead, ...</param>
/// <param name="HostName">The machine it runs on.</param>
/// <param name="GatewayPort">Its client gateway port (0: none).</param>
/// <param name="StartTime">When it started (UTC).</param>
/// <param name="LastAlive">When it last wrote its I-am-alive to the membership table (UTC).</param>
/// <param name="DataRoot">Where it keeps partitions (active silos that answered).</param>
/// <param name="Partitions">Partitions it holds (of the log asked about, when one was).</param>
/// <param name="OpenPartitions">Of those, how many are open.</param>
/// <param name="Error">Why an active silo did not answer.</param>
internal sealed record SiloDocument(
    string Name,
    string Address,
    int Generation,
    string Status,
    string? HostName,
    int GatewayPort,
    DateTimeOffset StartTime,
    DateTimeOffset LastAlive,
    string? DataRoot,
    int? Partitions,
    int? OpenPartitions,
    string? Error);
