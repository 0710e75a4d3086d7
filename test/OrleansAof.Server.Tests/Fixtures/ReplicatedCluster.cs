namespace OrleansAof.Server.Tests.Fixtures;

/// <summary>
/// Three silos where every log has three replicas (<see cref="AppendLogOptions.ReplicationFactor"/> 3), except the log
/// <see cref="SingleReplicaLog"/>, which keeps one. Each test class that stops silos gets its own.
/// </summary>
public sealed class ReplicatedCluster() : AofClusterFixture(3)
{
    /// <summary>A log with one replica (<see cref="AppendLogOptions.LogReplicationFactors"/>).</summary>
    public const string SingleReplicaLog = "single";

    protected override void ConfigureLog(AppendLogOptions options)
    {
        options.ReplicationFactor = 3;
        options.LogReplicationFactors[SingleReplicaLog] = 1;
    }
}
