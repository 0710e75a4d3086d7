using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary><see cref="IAppendLogSiloGrain"/>: each silo lists the partitions on its own disk and the ones open on it, and never opens one.</summary>
[Collection(ThreeSiloClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class SiloGrainTests(ThreeSiloCluster fixture)
{
    private static string NewLog() => $"list-{Guid.NewGuid():N}";

    private IAppendLogSiloGrain Silo(string name) => fixture.Client.GetGrain<IAppendLogSiloGrain>(name);

    [Fact]
    public async Task ListPartitions_reports_each_partition_on_its_owner_only_open_then_closed()
    {
        var log = NewLog();
        var partitions = new[] { "0", "1", "2", "3", "4", "5" };
        foreach (var p in partitions)
        {
            (await fixture.Partition(log, p).AppendAsync([1, 2, 3])).FirstId.Should().Be(0);
        }

        foreach (var silo in fixture.SiloNames)
        {
            var list = await Silo(silo).ListPartitionsAsync(log);
            var expected = partitions.Where(p => fixture.OwnerOf(log, p) == silo).Select(p => new PartitionPresence(log, p, IsOpen: true));
            list.Silo.Should().Be(silo);
            list.DataRoot.Should().Be(Path.Combine(fixture.Data.Path, silo));
            list.Partitions.Should().Equal(expected, $"silo {silo} holds exactly the partitions it owns, sorted, all open");
        }

        await fixture.Cluster.DeactivateAsync(fixture.Partition(log, "3"));
        var owner = fixture.OwnerOf(log, "3");
        await Wait.UntilAsync(
            async () => (await Silo(owner).ListPartitionsAsync(log)).Partitions.Single(p => p.Partition == "3") == new PartitionPresence(log, "3", IsOpen: false),
            "the deactivated partition is listed as on disk but not open");
    }

    [Fact]
    public async Task ListPartitions_without_a_log_lists_every_log_and_never_creates_a_partition()
    {
        var log = NewLog();
        var other = NewLog();
        await fixture.Partition(log, "0").AppendAsync([1]);
        await fixture.Partition(other, "0").AppendAsync([2]);
        var owner = fixture.OwnerOf(log, "0");

        var neverWritten = "never-written-" + Guid.NewGuid().ToString("N");

        var all = await Silo(owner).ListPartitionsAsync();
        var unknown = await Silo(owner).ListPartitionsAsync(neverWritten);

        all.Partitions.Should().Contain(new PartitionPresence(log, "0", true));
        all.Partitions.Select(p => (p.Log, p.Partition)).Should().BeInAscendingOrder(Comparer<(string, string)>.Create((a, b) =>
            string.CompareOrdinal(a.Item1, b.Item1) is var c and not 0 ? c : string.CompareOrdinal(a.Item2, b.Item2)));
        (fixture.OwnerOf(other, "0") == owner).Should().Be(all.Partitions.Contains(new PartitionPresence(other, "0", true)));
        unknown.Partitions.Should().BeEmpty();
        fixture.SiloNames.Should().NotContain(s => Directory.Exists(Path.Combine(fixture.Data.Path, s, neverWritten)), "listing reads directory names only");
    }

    [Fact]
    public async Task ListPartitions_with_an_invalid_log_name_is_a_typed_error()
    {
        var act = () => Silo(fixture.SiloNames[0]).ListPartitionsAsync("../etc");

        (await act.Should().ThrowAsync<InvalidPartitionNameException>()).Which.Name.Should().Be("../etc");
    }

    [Fact]
    public async Task A_silo_name_no_active_member_has_is_refused_not_placed_elsewhere()
    {
        var act = () => Silo("no-such-silo").ListPartitionsAsync();

        (await act.Should().ThrowAsync<Exception>()).Which.ToString().Should().Contain("No active silo is named 'no-such-silo'");
    }
}
