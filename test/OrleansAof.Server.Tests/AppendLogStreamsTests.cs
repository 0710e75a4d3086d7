using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.Server.Tests.Grains;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>
/// The persistent stream provider over the log (<c>AddAppendLogStreams</c>): the scenarios of Orleans' own stream provider
/// tests, with exact events and tokens (record id, event index).
/// </summary>
[Collection(StreamsClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class AppendLogStreamsTests(StreamsCluster fixture)
{
    private IAsyncStream<ChatMessage> Room(string ns, string room) =>
        fixture.Client.GetStreamProvider(StreamsCluster.Provider).GetStream<ChatMessage>(StreamId.Create(ns, room));

    private static async Task ProduceAsync(IAsyncStream<ChatMessage> stream, string room, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            await stream.OnNextAsync(new ChatMessage(room, i));
        }
    }

    private static async Task<List<Received>> WaitForAsync(IChatConsumer consumer, int count, string what)
    {
        List<Received> received = [];
        try
        {
            await Wait.UntilAsync(async () => (received = await consumer.GetReceivedAsync()).Count >= count, what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} It has {received.Count}: {string.Join(", ", received.Select(r => $"{r.Number}@{r.RecordId}"))}", e);
        }

        return received;
    }

    [Fact]
    public async Task One_stream_explicit_subscriber_gets_every_event_once_in_order_with_increasing_record_ids()
    {
        var room = $"one-{Guid.NewGuid():N}";
        var consumer = fixture.Client.GetGrain<IChatConsumer>($"c-{Guid.NewGuid():N}");
        await consumer.SubscribeAsync(room);
        await ProduceAsync(Room("chat", room), room, 0, 40);

        var received = await WaitForAsync(consumer, 40, "the subscriber has 40 events");
        received.Select(r => r.Number).Should().Equal(Enumerable.Range(0, 40));
        received.Select(r => r.RecordId).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems("each event is one record");
        received.Should().OnlyContain(r => r.EventIndex == 0);

        // The record ids are those of the partition the stream maps to.
        var partition = fixture.Partition(StreamsCluster.Log, PartitionOf(room));
        var records = await partition.ReadAsync(received[0].RecordId, 1);
        records[0].Id.Should().Be(received[0].RecordId);
    }

    [Fact]
    public async Task Concurrent_OnNextAsync_calls_of_one_stream_keep_their_call_order_each_its_own_record()
    {
        var room = $"window-{Guid.NewGuid():N}";
        var consumer = fixture.Client.GetGrain<IChatConsumer>($"c-{Guid.NewGuid():N}");
        await consumer.SubscribeAsync(room);
        var stream = Room("chat", room);

        // Every call is started before any is awaited: they share append calls (group commits) but keep their order.
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => stream.OnNextAsync(new ChatMessage(room, i))).ToArray());

        var received = await WaitForAsync(consumer, 200, "the subscriber has 200 events");
        received.Select(r => r.Number).Should().Equal(Enumerable.Range(0, 200));
        received.Select(r => r.RecordId).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems("each event is one record");
    }

    [Fact]
    public async Task Many_streams_and_several_subscribers_per_stream_each_get_their_own_stream_in_order()
    {
        var rooms = Enumerable.Range(0, 6).Select(i => $"many-{i}-{Guid.NewGuid():N}").ToArray();
        var consumers = rooms.ToDictionary(r => r, r => new[] { fixture.Client.GetGrain<IChatConsumer>($"a-{r}"), fixture.Client.GetGrain<IChatConsumer>($"b-{r}") });
        foreach (var (room, pair) in consumers)
        {
            foreach (var c in pair)
            {
                await c.SubscribeAsync(room);
            }
        }

        await Task.WhenAll(rooms.Select((room, i) => ProduceAsync(Room("chat", room), room, 0, 20 + i)));
        for (var i = 0; i < rooms.Length; i++)
        {
            foreach (var c in consumers[rooms[i]])
            {
                var received = await WaitForAsync(c, 20 + i, $"a subscriber of {rooms[i]} has {20 + i} events");
                received.Select(r => r.Number).Should().Equal(Enumerable.Range(0, 20 + i), "only its own stream, in order, once");
            }
        }
    }

    [Fact]
    public async Task Implicit_subscriber_is_activated_by_the_stream_and_gets_every_event_in_order()
    {
        var room = $"implicit-{Guid.NewGuid():N}";
        await ProduceAsync(Room("chat-implicit", room), room, 0, 25);

        await Wait.UntilAsync(() => ImplicitChat.Received.TryGetValue(room, out var q) && q.Count >= 25, "the implicit subscriber has 25 events");
        ImplicitChat.Received[room].Select(r => r.Number).Should().Equal(Enumerable.Range(0, 25));
    }

    [Fact]
    public async Task Unsubscribed_consumer_gets_nothing_after_it_left_while_another_keeps_receiving()
    {
        var room = $"unsub-{Guid.NewGuid():N}";
        var leaving = fixture.Client.GetGrain<IChatConsumer>($"leaving-{room}");
        var staying = fixture.Client.GetGrain<IChatConsumer>($"staying-{room}");
        await leaving.SubscribeAsync(room);
        await staying.SubscribeAsync(room);
        var stream = Room("chat", room);
        await ProduceAsync(stream, room, 0, 10);
        await WaitForAsync(leaving, 10, "the leaving subscriber has the first 10 events");

        await leaving.UnsubscribeAsync();
        await ProduceAsync(stream, room, 10, 10);
        (await WaitForAsync(staying, 20, "the staying subscriber has all 20 events")).Select(r => r.Number).Should().Equal(Enumerable.Range(0, 20));
        (await leaving.GetReceivedAsync()).Select(r => r.Number).Should().Equal(Enumerable.Range(0, 10), "nothing after the unsubscribe");
    }

    [Fact]
    public async Task Subscribe_with_a_token_rewinds_to_that_record_even_when_it_left_the_cache()
    {
        var room = $"rewind-{Guid.NewGuid():N}";
        var first = fixture.Client.GetGrain<IChatConsumer>($"first-{room}");
        await first.SubscribeAsync(room);
        await ProduceAsync(Room("chat", room), room, 0, 60);
        var all = await WaitForAsync(first, 60, "the first subscriber has 60 events");

        // The cache keeps 8 records: event 10 is read back from the log.
        var late = fixture.Client.GetGrain<IChatConsumer>($"late-{room}");
        await late.SubscribeAsync(room, fromRecord: all[10].RecordId);
        var rewound = await WaitForAsync(late, 50, "the rewound subscriber has events 10..59");
        rewound.Should().Equal(all.Skip(10), "from the token on, every event once, in order, with the same tokens");

        await ProduceAsync(Room("chat", room), room, 60, 5);
        (await WaitForAsync(late, 55, "the rewound subscriber also gets new events")).Select(r => r.Number).Should().Equal(Enumerable.Range(10, 55));
    }

    [Fact]
    public async Task Receiver_resumes_from_its_durable_checkpoint_and_writes_it_back_at_shutdown()
    {
        // A second provider instance over the same log, with its own checkpoints (the live agents never touch them).
        var services = fixture.Client.ServiceProvider;
        var factory = new Streams.AppendLogQueueAdapterFactory(
            "resume-test",
            new Streams.AppendLogStreamOptions { Log = StreamsCluster.Log, Partitions = 4, CheckpointLag = TimeSpan.Zero },
            fixture.Client,
            services.GetRequiredService<Orleans.Serialization.Serializer>(),
            TimeProvider.System,
            services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>());
        var room = $"resume-{Guid.NewGuid():N}";
        var streamId = StreamId.Create("chat", room);
        var partition = factory.PartitionOf(streamId);
        await ProduceAsync(Room("chat", room), room, 0, 20);
        var tail = (await fixture.Partition(StreamsCluster.Log, partition).GetInfoAsync()).NextId;
        var ours = await fixture.Partition(StreamsCluster.Log, partition).ReadBackwardAsync(tail - 1, 20);
        var sixth = ours[14].Id; // newest first: index 14 is the 6th of the 20 events

        var checkpoint = fixture.Client.GetGrain<Streams.IStreamCheckpointGrain>($"resume-test/{StreamsCluster.Log}/{partition}");
        await checkpoint.SetAsync(sixth);
        var queue = factory.GetStreamQueueMapper().GetQueueForStream(streamId);
        var cache = factory.CreateQueueCache(queue);
        var receiver = factory.CreateReceiver(queue);
        await receiver.Initialize(TimeSpan.FromSeconds(10));
        var read = await receiver.GetQueueMessagesAsync(1000, CancellationToken.None);

        read.Select(b => b.SequenceToken.SequenceNumber).Should().Equal(Enumerable.Range(0, (int)(tail - sixth)).Select(i => sixth + i), "reading resumes at the checkpoint, every record once");
        read.Where(b => b.StreamId.Equals(streamId)).SelectMany(b => b.GetEvents<ChatMessage>()).Select(e => e.Item1.Number).Should().Equal(Enumerable.Range(5, 15));

        // Nothing subscribed: every record read is done with, so the checkpoint written at shutdown is the tail.
        cache.AddToCache(read);
        await receiver.Shutdown(TimeSpan.FromSeconds(10));
        (await checkpoint.GetAsync()).Should().Be(tail);
    }

    private string PartitionOf(string room)
    {
        var factory = Streams.AppendLogQueueAdapterFactory.Create(fixture.Client.ServiceProvider, StreamsCluster.Provider);
        return factory.PartitionOf(StreamId.Create("chat", room));
    }
}
