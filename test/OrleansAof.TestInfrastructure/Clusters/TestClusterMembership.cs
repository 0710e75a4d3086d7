namespace OrleansAof.TestInfrastructure.Clusters;

/// <summary>How the silos of an <see cref="AofTestCluster"/> find each other, and how its client reaches them.</summary>
public enum TestClusterMembership
{
    /// <summary>
    /// Orleans' <c>InProcessTestCluster</c>: in-memory membership and an in-memory transport (fast; kill and restart silos;
    /// only the fixture's own client can reach the silos).
    /// </summary>
    TestingHost,

    /// <summary>
    /// Silos hosted in this process on real TCP ports with development (localhost) membership; the client connects to
    /// their gateways, and so can any outside client (the <c>aof</c> tool) through <see cref="AofTestCluster.GatewayPorts"/>.
    /// </summary>
    Localhost,

    /// <summary>Like <see cref="Localhost"/>, but membership is kept in a redis-server the fixture starts (a fresh cluster id).</summary>
    Redis,
}
