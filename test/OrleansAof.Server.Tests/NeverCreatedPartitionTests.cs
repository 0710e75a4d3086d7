using System.Text;
using FluentAssertions;
using OrleansAof.Server.Ownership;
using OrleansAof.Server.Tests.BadInput;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>
/// Reads never create partitions: a partition nothing was ever written to (an unknown log, a partition beyond the count
/// a client uses) answers every read as an empty partition and leaves no folder and no id bound behind; its first write
/// creates it, and a tail that waited on it wakes.
/// </summary>
[Collection(ThreeSiloClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class NeverCreatedPartitionTests(ThreeSiloCluster fixture)
{
    [Fact]
    public async Task Reads_of_an_unknown_log_and_of_a_partition_beyond_the_count_answer_empty_and_create_nothing()
    {
        var log = fixture.Logs.GetLog($"unknown-{Guid.NewGuid():N}");
        var before = DiskSnapshot.Of(fixture.Data.Path);

        foreach (var partition in new[] { "0", "7" })
        {
            var grain = log.Partition(partition);
            var batch = await log.ReadAsync(partition, 0);
            (batch.Count, batch.NextId).Should().Be((0, 0L), "partition {0} answers as an empty partition", partition);
            (await grain.ReadBackwardAsync(0)).Count.Should().Be(0);
            (await grain.ReadFromTimestampAsync(DateTimeOffset.UnixEpoch)).NextId.Should().Be(0);
            (await grain.FindIdAtTimestampAsync(DateTimeOffset.UnixEpoch)).Should().Be(0);
            (await grain.FlushAsync()).Should().Be(-1);
            (await grain.GetFlushStatisticsAsync()).TotalFlushes.Should().Be(0);
            (await grain.WaitForTailAsync(-1, TimeSpan.FromMilliseconds(50))).Should().Be(-1);
            var info = await log.GetInfoAsync(partition);
            (info.State, info.LastId, info.NextId, info.Segments.Count).Should().Be((PartitionGrain.NeverCreatedState, -1L, 0L, 0));
            await FluentActions.Awaiting(() => log.ReadAsync(partition, 1)).Should().ThrowAsync<ReadBeyondTailException>();
            await FluentActions.Awaiting(() => log.ReadAsync(partition, -1)).Should().ThrowAsync<InvalidRangeException>();
            (await new GrainIdBoundStore(fixture.Client).ReadAsync(log.Name, partition, CancellationToken.None)).Should().BeNull("no id bound is recorded for partition {0}", partition);
        }

        DiskSnapshot.Of(fixture.Data.Path).Should().Equal(before, "reads create no folder and no file");
    }

    [Fact]
    public async Task The_first_append_creates_the_partition_and_wakes_a_tail_that_waited_on_it()
    {
        var log = fixture.Logs.GetLog($"created-{Guid.NewGuid():N}");
        var grain = log.Partition("0");
        (await log.GetInfoAsync("0")).State.Should().Be(PartitionGrain.NeverCreatedState);
        var waiting = grain.WaitForTailAsync(-1, TimeSpan.FromSeconds(20));

        (await log.AppendToPartitionAsync("0", Encoding.UTF8.GetBytes("first"))).FirstId.Should().Be(0);
        (await Wait.ForAsync(waiting, "the waiting tail to see the first record", TimeSpan.FromSeconds(20))).Should().Be(0);
        (await log.AppendToPartitionAsync("0", Encoding.UTF8.GetBytes("second"))).FirstId.Should().Be(1);
        (await log.ReadAsync("0", 0)).Records.Select(r => Encoding.UTF8.GetString(r.Payload.Span)).Should().Equal("first", "second");
        (await log.GetInfoAsync("0")).State.Should().Be("Open");
        DiskSnapshot.Of(fixture.Data.Path).Should().Contain(e => e.Contains(Path.Combine(log.Name, "0", "segments") + "/", StringComparison.Ordinal), "the first append created the partition's folder");
        (await new GrainIdBoundStore(fixture.Client).ReadAsync(log.Name, "0", CancellationToken.None)).Should().NotBeNull("the created partition records its id bound");
    }
}
