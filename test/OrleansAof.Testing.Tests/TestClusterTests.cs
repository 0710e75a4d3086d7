using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using OrleansAof.Client;
using OrleansAof.TestInfrastructure;
using Xunit;
using static OrleansAof.Testing.Tests.Records;

namespace OrleansAof.Testing.Tests;

/// <summary><c>TestClusterBuilder.AddAppendLog()</c>: the older test cluster, configured by types and configuration.</summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class TestClusterTests
{
    [Fact]
    public async Task Two_silos_serve_their_own_partitions_with_the_settings_given_and_leave_nothing_behind()
    {
        var builder = new TestClusterBuilder(2);
        var aof = builder.AddAppendLog(o =>
        {
            o.ConfigureLog = log => log.FlushPolicy = "Async";
            o.ConfigureClient = c => c.PartitionCounts["orders"] = 4;
        });
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            aof.OwnerSilos.Should().Equal("Primary", "Secondary_1");
            cluster.Silos.Select(s => s.Name).Should().BeEquivalentTo(aof.OwnerSilos);

            var orders = cluster.Client.ServiceProvider.GetRequiredService<IAppendLogClient>().GetLog("orders");
            orders.PartitionCount.Should().Be(4, "ConfigureClient reaches the cluster client");
            foreach (var silo in aof.OwnerSilos)
            {
                var partition = aof.PartitionOwnedBy("orders", silo);
                for (var i = 0; i < 3; i++)
                {
                    var ack = await orders.AppendToPartitionAsync(partition, Payload(silo, i));
                    (ack.FirstId, ack.IsDurable).Should().Be((i, false), "ConfigureLog set FlushPolicy = Async on every silo");
                }

                await orders.Partition(partition).FlushAsync();
                await ShouldReadAsync(orders, partition, silo, 3);
                (await orders.GetInfoAsync(partition)).Silo.Should().Be(silo);
                Directory.Exists(Path.Combine(aof.DataRootOf(silo), "orders", partition)).Should().BeTrue();
            }
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        Directory.Exists(aof.RootPath).Should().BeFalse("the cluster's temporary folders are deleted when it is disposed");
    }
}
