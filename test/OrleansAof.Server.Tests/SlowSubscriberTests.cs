using System.Text;
using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.Server.Tests.Grains;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>A subscriber that cannot keep up never holds back appends: pushes to it are not awaited.</summary>
[Collection(ThreeSiloClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class SlowSubscriberTests(ThreeSiloCluster fixture)
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task Blocked_subscriber_does_not_hold_back_appends_and_then_gets_every_record_once_in_order()
    {
        var appends = Stress.Scale(200, 5000);
        var log = $"slow-{Guid.NewGuid():N}";
        var key = PartitionKey.Format(log, "0");
        var me = $"gated-{Guid.NewGuid():N}";
        var grain = fixture.Partition(log);
        var subscriber = fixture.Client.GetGrain<IGatedSubscriber>(me);
        await subscriber.SubscribeAsync(log, "0");

        // The first record reaches the handler, which blocks at its closed gate.
        (await grain.AppendAsync(Bytes("r0"))).FirstId.Should().Be(0);
        await Wait.UntilAsync(() => SubscriberGates.EnteredCount(me) == 1, "the subscriber's handler is entered and blocked at its gate");

        // Every further append completes while the handler stays blocked.
        async Task AppendAllAsync()
        {
            for (var i = 1; i <= appends; i++)
            {
                (await grain.AppendAsync(Bytes($"r{i}"))).FirstId.Should().Be(i);
            }
        }

        await Wait.ForAsync(AppendAllAsync(), $"{appends} appends to complete while the subscriber is blocked", TimeSpan.FromSeconds(60));
        SubscriberGates.Of(me).IsCompleted.Should().BeFalse("the gate was still closed when the appends completed");
        SubscriberGates.EnteredCount(me).Should().Be(1, "the subscriber is still inside its first batch");
        (await subscriber.GetRecordsAsync()).Should().BeEmpty("the subscriber has handled nothing yet");

        SubscriberGates.Open(me);
        var expected = Enumerable.Range(0, appends + 1).Select(i => $"{key}#{i}:r{i}").ToList();
        await Wait.UntilAsync(async () => (await subscriber.GetRecordsAsync()).Count >= expected.Count, $"the subscriber has handled all {expected.Count} records", TimeSpan.FromSeconds(60));
        (await subscriber.GetRecordsAsync()).Should().Equal(expected, "every record is handled exactly once, in order");
        (await subscriber.GetCheckpointsAsync()).Should().Equal(new Dictionary<string, long> { [key] = appends + 1 });
    }
}
