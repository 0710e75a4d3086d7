using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.TestingHost;
using OrleansAof.Client;
using OrleansAof.TestInfrastructure;
using Xunit;
using static OrleansAof.Testing.Tests.Records;

namespace OrleansAof.Testing.Tests;

/// <summary>
/// <c>InProcessTestClusterBuilder.AddAppendLog()</c> used as a user would: only the public API of the package, the
/// cluster's own handles and the log's client.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class InProcessTestClusterTests
{
    private static readonly string[] ThreeSilos = ["Silo_0", "Silo_1", "Silo_2"];

    [Fact]
    public async Task Three_silos_each_serve_their_own_partitions_from_their_own_folders_survive_a_kill_and_leave_nothing_behind()
    {
        var builder = new InProcessTestClusterBuilder(3);
        var aof = builder.AddAppendLog();
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            aof.OwnerSilos.Should().Equal(ThreeSilos);
            cluster.Silos.Select(s => s.Name).Should().BeEquivalentTo(ThreeSilos, "the owners are the silos the cluster started");
            Membership(cluster.Silos[0]).Should().Be((TimeSpan.FromMilliseconds(500), 1, 1), "FastMembership is on by default");

            var orders = cluster.Client.ServiceProvider.GetRequiredService<IAppendLogClient>().GetLog("orders");
            var partitions = ThreeSilos.ToDictionary(s => s, s => aof.PartitionOwnedBy("orders", s));
            partitions.Values.Should().OnlyHaveUniqueItems();
            foreach (var (silo, partition) in partitions)
            {
                for (var i = 0; i < 3; i++)
                {
                    var ack = await orders.AppendToPartitionAsync(partition, Payload(silo, i));
                    (ack.FirstId, ack.LastId, ack.IsDurable).Should().Be((i, i, true), $"record {i} of {silo}'s partition {partition}");
                }
            }

            foreach (var (silo, partition) in partitions)
            {
                await ShouldReadAsync(orders, partition, silo, 3);
                (await orders.GetInfoAsync(partition)).Silo.Should().Be(silo, "a partition is served by its owner");
                foreach (var other in ThreeSilos)
                {
                    Directory.Exists(Path.Combine(aof.DataRootOf(other), "orders", partition))
                        .Should().Be(other == silo, $"partition {partition} lives only under its owner {silo}'s folder");
                }
            }

            // Kill one silo: once the cluster knows, its partitions fail fast with the typed error, and the other silos'
            // partitions keep serving.
            await cluster.KillSiloAsync(cluster.Silos.Single(s => s.Name == "Silo_1"));
            await Wait.UntilAsync(
                async () =>
                {
                    try
                    {
                        await orders.AppendToPartitionAsync(partitions["Silo_1"], Payload("Silo_1", 3));
                        throw new InvalidOperationException("An append to a partition whose owner was killed succeeded.");
                    }
                    catch (PartitionUnavailableException)
                    {
                        return true;
                    }
                    catch (Exception e) when (e is Orleans.Runtime.OrleansException or TimeoutException)
                    {
                        // The client has not learnt yet that the silo died; the next try goes through placement again.
                        return false;
                    }
                },
                "appends to the killed silo's partition fail with PartitionUnavailableException",
                TimeSpan.FromSeconds(60));
            foreach (var silo in new[] { "Silo_0", "Silo_2" })
            {
                var ack = await orders.AppendToPartitionAsync(partitions[silo], Payload(silo, 3));
                ack.FirstId.Should().Be(3, $"{silo}'s partition keeps taking appends");
                await ShouldReadAsync(orders, partitions[silo], silo, 4);
            }
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        Directory.Exists(aof.RootPath).Should().BeFalse("the cluster's temporary folders are deleted when it is disposed");
    }

    [Fact]
    public async Task A_killed_silo_started_again_keeps_its_folder_and_serves_every_acknowledged_record()
    {
        var builder = new InProcessTestClusterBuilder(2);
        var aof = builder.AddAppendLog(o => o.ConfigureClient = c => c.PartitionCounts["events"] = 2);
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            var events = cluster.Client.ServiceProvider.GetRequiredService<IAppendLogClient>().GetLog("events");
            events.PartitionCount.Should().Be(2, "ConfigureClient reaches the cluster client");
            var partition = aof.PartitionOwnedBy("events", "Silo_1");
            for (var i = 0; i < 5; i++)
            {
                (await events.AppendToPartitionAsync(partition, Payload("Silo_1", i))).FirstId.Should().Be(i);
            }

            await cluster.KillSiloAsync(cluster.Silos.Single(s => s.Name == "Silo_1"));
            Directory.Exists(Path.Combine(aof.DataRootOf("Silo_1"), "events", partition)).Should().BeTrue("a killed silo's folder stays");

            var restarted = await cluster.StartSiloAsync(1, cluster.Options);
            restarted.Name.Should().Be("Silo_1");
            await Wait.UntilAsync(
                async () =>
                {
                    try
                    {
                        await ShouldReadAsync(events, partition, "Silo_1", 5);
                        return true;
                    }
                    catch (PartitionUnavailableException)
                    {
                        return false;
                    }
                },
                "the restarted silo serves its partition with every record",
                TimeSpan.FromSeconds(60));
            (await events.AppendToPartitionAsync(partition, Payload("Silo_1", 5))).FirstId.Should().Be(5);
            await cluster.StopSiloAsync(restarted);
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        Directory.Exists(aof.RootPath).Should().BeFalse();
    }

    [Fact]
    public async Task The_folder_archive_receives_sealed_segments_and_ConfigureLog_applies_to_every_silo()
    {
        var builder = new InProcessTestClusterBuilder(2);
        var aof = builder.AddAppendLog(o =>
        {
            o.FileSystemArchive = true;
            o.FastMembership = false;
            o.ConfigureLog = log => log.FlushPolicy = "Async";
        });
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            var defaults = new ClusterMembershipOptions();
            Membership(cluster.Silos[0]).Should().Be((defaults.ProbeTimeout, defaults.NumMissedProbesLimit, defaults.NumVotesForDeathDeclaration), "FastMembership = false keeps Orleans' defaults");
            var metrics = cluster.Client.ServiceProvider.GetRequiredService<IAppendLogClient>().GetLog("metrics");
            foreach (var silo in new[] { "Silo_0", "Silo_1" })
            {
                var partition = aof.PartitionOwnedBy("metrics", silo);
                var ack = await metrics.AppendToPartitionAsync(partition, Payload(silo, 0));
                ack.IsDurable.Should().BeFalse("ConfigureLog set FlushPolicy = Async on every silo");
                var segment = await metrics.Partition(partition).SealAsync();
                segment.Should().NotBeNull();

                var archived = Path.Combine(aof.ArchiveRoot!, "metrics", partition);
                await Wait.UntilAsync(
                    () => Directory.Exists(archived) && Directory.EnumerateFiles(archived).Any(),
                    $"{silo}'s sealed segment of metrics/{partition} is archived under {archived}",
                    TimeSpan.FromSeconds(60));
            }
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        Directory.Exists(aof.RootPath).Should().BeFalse();
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public void AddAppendLog_twice_on_one_builder_is_refused()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.AddAppendLog();
        FluentActions.Invoking(() => builder.AddAppendLog()).Should().Throw<InvalidOperationException>().WithMessage("*already*");
    }

    private static (TimeSpan ProbeTimeout, int MissedProbes, int Votes) Membership(InProcessSiloHandle silo)
    {
        var o = silo.ServiceProvider.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value;
        return (o.ProbeTimeout, o.NumMissedProbesLimit, o.NumVotesForDeathDeclaration);
    }
}
