using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace OrleansAof.Testing;

/// <summary>Adds the append log client to the client of a <see cref="TestCluster"/>.</summary>
internal sealed class AppendLogClientConfigurator : IClientBuilderConfigurator
{
    public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
        TestClusterRegistry.Find(configuration).ConfigureClient(clientBuilder);
}
