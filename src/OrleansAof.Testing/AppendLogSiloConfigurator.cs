using Orleans.TestingHost;

namespace OrleansAof.Testing;

/// <summary>Adds the append log to each silo of a <see cref="TestCluster"/>.</summary>
internal sealed class AppendLogSiloConfigurator : ISiloConfigurator
{
    public void Configure(ISiloBuilder siloBuilder) =>
        TestClusterRegistry.Find(siloBuilder.Configuration).ConfigureSilo(siloBuilder, siloBuilder.Configuration["Orleans:Name"]);
}
