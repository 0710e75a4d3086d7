using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.Server.Tests.Grains;
using OrleansAof.Streams;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>
/// The pulling agent's checkpoint never passes records read less than <see cref="AppendLogStreamOptions.CheckpointLag"/>
/// ago: Orleans opens the cursors of a stream it sees for the first time only after it has looked up its subscribers,
/// and a checkpoint written before that, followed by a crash, would skip the stream's first records for them.
/// </summary>
[Collection(StreamsClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class StreamCheckpointLagTests(StreamsCluster fixture)
{
    [Fact]
    public async Task Checkpoint_stays_behind_records_read_less_than_the_lag_ago_then_follows_them()
    {
        var time = new ManualTime();
        var name = $"lag-{Guid.NewGuid():N}";
        var services = fixture.Client.ServiceProvider;
        var factory = new AppendLogQueueAdapterFactory(
            name,
            new AppendLogStreamOptions { Log = StreamsCluster.Log, Partitions = 4, CheckpointInterval = TimeSpan.FromSeconds(1), CheckpointLag = TimeSpan.FromSeconds(5) },
            fixture.Client,
            services.GetRequiredService<Orleans.Serialization.Serializer>(),
            time,
            services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>());
        var room = $"lag-{Guid.NewGuid():N}";
        var streamId = StreamId.Create("chat", room);
        var partition = fixture.Partition(StreamsCluster.Log, factory.PartitionOf(streamId));
        var start = (await partition.GetInfoAsync()).NextId;
        var stream = fixture.Client.GetStreamProvider(StreamsCluster.Provider).GetStream<ChatMessage>(streamId);
        for (var i = 0; i < 10; i++)
        {
            await stream.OnNextAsync(new ChatMessage(room, i));
        }

        var tail = (await partition.GetInfoAsync()).NextId;
        var checkpoint = fixture.Client.GetGrain<IStreamCheckpointGrain>($"{name}/{StreamsCluster.Log}/{factory.PartitionOf(streamId)}");
        await checkpoint.SetAsync(start);
        var queue = factory.GetStreamQueueMapper().GetQueueForStream(streamId);
        var cache = factory.CreateQueueCache(queue);
        var receiver = factory.CreateReceiver(queue);
        await receiver.Initialize(TimeSpan.FromSeconds(10));

        // The stream is new to this agent: no cursor yet (Orleans would be looking up its subscribers now).
        var read = await receiver.GetQueueMessagesAsync(1000, CancellationToken.None);
        cache.AddToCache(read);
        read.Select(b => b.SequenceToken.SequenceNumber).Should().Equal(Enumerable.Range(0, (int)(tail - start)).Select(i => start + i));

        // Past the checkpoint interval, within the lag: the checkpoint stays where it was.
        time.Advance(TimeSpan.FromSeconds(2));
        (await receiver.GetQueueMessagesAsync(1000, CancellationToken.None)).Should().BeEmpty();
        (await checkpoint.GetAsync()).Should().Be(start, "records read less than CheckpointLag ago may belong to a stream whose subscribers have no cursor yet");

        // The late cursor still finds the stream's first record in the cache.
        var first = read.First(b => b.StreamId.Equals(streamId));
#pragma warning disable CS0618 // the members the pulling agent calls on this cache
        using (var cursor = cache.GetCacheCursor(streamId, first.SequenceToken))
        {
            cursor.MoveNext().Should().BeTrue();
            cursor.GetCurrent(out _)!.SequenceToken.Should().Be(first.SequenceToken);
        }
#pragma warning restore CS0618

        // Once the lag has passed, the checkpoint follows the records read (no cursor needs them now), also at shutdown.
        time.Advance(TimeSpan.FromSeconds(4));
        (await receiver.GetQueueMessagesAsync(1000, CancellationToken.None)).Should().BeEmpty();
        (await checkpoint.GetAsync()).Should().Be(tail);
        await receiver.Shutdown(TimeSpan.FromSeconds(10));
        (await checkpoint.GetAsync()).Should().Be(tail);
    }

    [Fact]
    public void Negative_checkpoint_lag_is_refused_naming_the_option()
    {
        var act = () => AppendLogStreamOptionsValidator.Validate("events", new AppendLogStreamOptions { CheckpointLag = TimeSpan.FromSeconds(-1) });
        act.Should().Throw<OrleansConfigurationException>().WithMessage("AppendLogStreamOptions['events'].CheckpointLag cannot be negative*");
    }

    /// <summary>A clock the test moves by hand (timestamps only; the receiver measures elapsed time with them).</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = TimeSpan.TicksPerDay;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
