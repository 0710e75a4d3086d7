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

/// <summary>
/// One silo whose tail stream publishes only a minute after an advance (its upper bound) (<see cref="AppendLogOptions.StreamNotificationInterval"/>)
/// and whose subscribers re-check their partitions only every ten minutes: after a subscriber's first check, the direct
/// push is the only way records reach it.
/// </summary>
public sealed class DirectPushOnlyCluster() : AofClusterFixture(1)
{
    protected override void ConfigureLog(AppendLogOptions options) => options.StreamNotificationInterval = TimeSpan.FromMinutes(1);

    protected override void ConfigureSilo(ISiloBuilder silo) =>
        silo.ConfigureLogSubscribers(o => o.RecheckInterval = TimeSpan.FromMinutes(10));
}

[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class DirectPushOnlySubscriberTests(DirectPushOnlyCluster fixture) : IClassFixture<DirectPushOnlyCluster>
{
    /// <summary>
    /// A partition with no listener does not wake its push loop on every flush; the first listener that registers later
    /// is pushed every advance after the durable id it was told at registration.
    /// </summary>
    [Fact]
    public async Task Subscriber_registering_on_a_partition_written_without_listeners_gets_every_later_record_through_the_direct_push_alone()
    {
        var log = $"pushonly-{Guid.NewGuid():N}";
        var key = PartitionKey.Format(log, "0");
        var partition = fixture.Partition(log);
        const int before = 5;
        for (var i = 0; i < before; i++)
        {
            await partition.AppendAsync(Encoding.UTF8.GetBytes($"r{i}"));
        }

        // The subscription's first check reads the records written while nobody listened; from here on only the push
        // can wake the subscriber.
        var subscriber = fixture.Client.GetGrain<IExplicitSubscriber>($"push-only-{Guid.NewGuid():N}");
        await subscriber.SubscribeAsync(log, "0");
        await Wait.UntilAsync(async () => (await subscriber.GetRecordsAsync()).Count >= before, $"the subscriber's first check has the {before} records written before it subscribed");

        const int count = 60;
        for (var i = before; i < count; i++)
        {
            await partition.AppendAsync(Encoding.UTF8.GetBytes($"r{i}"));
        }

        await Wait.UntilAsync(async () => (await subscriber.GetRecordsAsync()).Count >= count, $"the subscriber has the {count} records through the direct push");
        (await subscriber.GetRecordsAsync()).Should().Equal(Enumerable.Range(0, count).Select(i => $"{key}#{i}:r{i}"), "every record once, in order");
    }
}
