using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using OrleansAof.Server.Replicated;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;
using static OrleansAof.Server.Tests.Replicated.ReplicatedClusterFacts;

namespace OrleansAof.Server.Tests.Replicated;

/// <summary>
/// A log with one replica on a cluster whose other logs have three keeps today's path: its folder has no replica
/// files, no replica is opened for it, no replication record is written, and only its owner holds it.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class SingleReplicaPathTests(ReplicatedCluster fixture) : IClassFixture<ReplicatedCluster>
{
    [Fact]
    public async Task SingleReplicaLog_KeepsTheUnreplicatedPath_NoReplicaFilesNoReplicaNoRecord()
    {
        var log = ReplicatedCluster.SingleReplicaLog;
        var grain = fixture.Partition(log);
        for (var i = 0; i < 5; i++)
        {
            (await grain.AppendAsync(Bytes($"r{i}"))).FirstId.Should().Be(i);
        }

        var owner = fixture.OwnerOf(log, "0");
        (await grain.GetInfoAsync()).Silo.Should().Be(owner);
        var folder = fixture.PartitionDirectory(owner, log, "0");
        Directory.GetFiles(folder).Select(Path.GetFileName).Should().NotContain([Storage.PartitionLayout.ReplicaEpochsFileName, Storage.PartitionLayout.ReplicaStateFileName]);
        fixture.SiloNames.Where(s => s != owner).Should().OnlyContain(s => !Directory.Exists(fixture.PartitionDirectory(s, log, "0")), "one replica lives on its owner only");
        foreach (var silo in fixture.SiloNames)
        {
            fixture.SiloServices(silo).GetRequiredService<ReplicaNodes>().OpenKeys.Should().NotContain(PartitionKey.Format(log, "0"), $"silo {silo} opened no replica");
        }

        (await ConfigurationAsync(fixture, log)).Should().BeNull("a partition with one replica writes no replication configuration");
    }
}
