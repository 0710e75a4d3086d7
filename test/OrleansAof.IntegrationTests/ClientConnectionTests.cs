using System.Diagnostics;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansAof.Client;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.IntegrationTests;

/// <summary>An Orleans client against the silo host as a child process: the connection a newcomer writes first.</summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class ClientConnectionTests : IDisposable
{
    private readonly TempDirectory _data = new("client-connection");

    [Fact]
    public async Task A_client_with_the_wrong_cluster_id_fails_at_start_within_the_connect_timeout_naming_both_ids()
    {
        await using var silo = new SiloHostProcess(_data.Path);
        await silo.StartAsync();
        using var host = Client(silo.GatewayPort, "wrong-cluster", TimeSpan.FromSeconds(3));
        var watch = Stopwatch.StartNew();
        var failed = await FluentActions.Awaiting(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)))
            .Should().ThrowAsync<ClusterConnectionException>("Orleans alone retries a refusing gateway forever");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "the start fails soon after AppendLogClientOptions.ConnectTimeout (3 s)");
        failed.Which.ClusterId.Should().Be("wrong-cluster");
        failed.Which.ServiceId.Should().Be("aof");
        failed.Which.Message.Should().Contain("cluster id 'wrong-cluster'").And.Contain("service id 'aof'").And.Contain("Aof:ClusterId");
        failed.Which.Message.Length.Should().BeLessThan(1024);
    }

    [Fact]
    public async Task A_client_with_no_silo_to_reach_fails_at_start_saying_no_gateway_answered()
    {
        using var host = Client(FreePort.Find(), "aof", TimeSpan.FromSeconds(2));
        var failed = await FluentActions.Awaiting(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60))).Should().ThrowAsync<ClusterConnectionException>();
        failed.Which.Message.Should().Contain("No gateway accepted the client").And.Contain("cluster id 'aof'");
    }

    [Fact]
    public async Task A_client_with_the_silo_hosts_ids_connects_and_appends()
    {
        await using var silo = new SiloHostProcess(_data.Path);
        silo.Settings["Aof__ClusterId"] = "aof";
        await silo.StartAsync();
        using var host = Client(silo.GatewayPort, "aof", TimeSpan.FromSeconds(10));
        await host.StartAsync();
        var log = host.Services.GetRequiredService<IAppendLogClient>().GetLog("orders");
        (await log.AppendToPartitionAsync("0", "x"u8.ToArray())).FirstId.Should().Be(0);
        await host.StopAsync();
    }

    private static IHost Client(int gatewayPort, string clusterId, TimeSpan connectTimeout)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(gatewayPort, serviceId: "aof", clusterId: clusterId);
            client.AddAppendLogClient(o => o.ConnectTimeout = connectTimeout);
        });
        return builder.Build();
    }

    public void Dispose() => _data.Dispose();
}
