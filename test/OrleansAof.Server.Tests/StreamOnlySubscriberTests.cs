using System.Text;
using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.Server.Tests.Grains;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>
/// One silo whose partitions push nothing straight to listeners (<see cref="AppendLogOptions.DirectTailPush"/> off) and
/// whose subscribers re-check their partitions only every ten minutes: after a subscriber's first check, the tail stream
/// is the only way records reach it.
/// </summary>
public sealed class StreamOnlyCluster() : AofClusterFixture(1)
{
    protected override void ConfigureLog(AppendLogOptions options)
    {
        options.DirectTailPush = false;
        options.StreamNotificationInterval = TimeSpan.Zero;
    }

    protected override void ConfigureSilo(ISiloBuilder silo) =>
        silo.ConfigureLogSubscribers(o => o.RecheckInterval = TimeSpan.FromMinutes(10));
}

[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class StreamOnlySubscriberTests(StreamOnlyCluster fixture) : IClassFixture<StreamOnlyCluster>
{
    [Fact]
    public async Task Subscriber_without_direct_push_or_timer_gets_every_record_once_in_order_through_the_tail_stream_alone()
    {
        var log = $"streamonly-{Guid.NewGuid():N}";
        var key = PartitionKey.Format(log, "0");
        var partition = fixture.Partition(log);
        var subscriber = fixture.Client.GetGrain<IExplicitSubscriber>($"stream-only-{Guid.NewGuid():N}");

        // The subscription's first check finds nothing; from here on only the tail stream can wake the subscriber.
        await subscriber.SubscribeAsync(log, "0");
        (await subscriber.GetRecordsAsync()).Should().BeEmpty();

        const int count = 60;
        for (var i = 0; i < count; i++)
        {
            await partition.AppendAsync(Encoding.UTF8.GetBytes($"r{i}"));
        }

        await Wait.UntilAsync(async () => (await subscriber.GetRecordsAsync()).Count >= count, $"the subscriber has the {count} records through the tail stream");
        (await subscriber.GetRecordsAsync()).Should().Equal(Enumerable.Range(0, count).Select(i => $"{key}#{i}:r{i}"), "every record once, in order");
        (await subscriber.GetCheckpointsAsync()).Should().Equal(new Dictionary<string, long> { [key] = count });
    }
}
