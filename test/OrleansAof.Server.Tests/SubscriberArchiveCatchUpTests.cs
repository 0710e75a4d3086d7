using System.Text;
using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.Server.Tests.Grains;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>A <c>LogSubscriberGrain</c> catching up from id 0 over archived, evicted and local segments.</summary>
[Collection(ArchivingClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class SubscriberArchiveCatchUpTests(ArchivingCluster fixture)
{
    private static string Text(long id) => $"record {id} " + new string((char)('a' + (id % 26)), (int)(id % 500));

    [Fact]
    public async Task Subscriber_from_zero_gets_every_record_in_order_with_exact_bytes_across_archived_and_local_segments()
    {
        var count = Stress.Scale(150, 1500);
        var log = $"subarch-{Guid.NewGuid():N}";
        var partition = fixture.PartitionOwnedBy(log, fixture.SiloNames[0]);
        var key = PartitionKey.Format(log, partition);
        var grain = fixture.Partition(log, partition);
        for (var i = 0; i < count; i++)
        {
            (await grain.AppendAsync(Encoding.UTF8.GetBytes(Text(i)))).FirstId.Should().Be(i);
        }

        await Wait.UntilAsync(
            async () =>
            {
                var s = (await grain.GetInfoAsync()).Segments;
                return s.Count > 3 && s.Take(s.Count - 2).All(x => x.Status == "LocalEvicted") && s[^2].Status == "Archived";
            },
            "every sealed segment but the newest is archived and evicted locally",
            TimeSpan.FromSeconds(30));
        var segments = (await grain.GetInfoAsync()).Segments;
        segments[^1].Status.Should().Be("Active");
        segments[^2].Status.Should().Be("Archived", "one sealed segment stays local (KeepLocalSegments = 1)");
        segments.Take(segments.Count - 2).Should().OnlyContain(x => x.Status == "LocalEvicted");
        segments[0].BaseId.Should().Be(0, "the subscriber's first records are in an evicted segment");

        var subscriber = fixture.Client.GetGrain<IExplicitSubscriber>($"catchup-{Guid.NewGuid():N}");
        await subscriber.SubscribeAsync(log, partition, fromId: 0);
        var expected = Enumerable.Range(0, count).Select(i => $"{key}#{i}:{Text(i)}").ToList();
        await Wait.UntilAsync(async () => (await subscriber.GetRecordsAsync()).Count >= count, $"the subscriber has all {count} records", TimeSpan.FromSeconds(60));
        (await subscriber.GetRecordsAsync()).Should().Equal(expected, "every record once, in order, with its exact bytes, across the archived/local boundary");
        (await subscriber.GetCheckpointsAsync()).Should().Equal(new Dictionary<string, long> { [key] = count });
    }
}
