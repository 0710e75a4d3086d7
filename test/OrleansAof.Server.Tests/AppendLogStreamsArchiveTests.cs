using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.Server.Tests.Grains;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>A stream subscription that rewinds to records whose segment was archived and evicted from the silo's disk.</summary>
[Collection(ArchivingStreamsClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class AppendLogStreamsArchiveTests(ArchivingStreamsCluster fixture)
{
    [Fact]
    public async Task Subscribe_with_a_token_rewinds_into_archived_and_evicted_segments()
    {
        var room = $"archived-{Guid.NewGuid():N}";
        var streamId = StreamId.Create("chat", room);
        var partition = Streams.AppendLogQueueAdapterFactory.Create(fixture.Client.ServiceProvider, StreamsCluster.Provider).PartitionOf(streamId);
        var stream = fixture.Client.GetStreamProvider(StreamsCluster.Provider).GetStream<ChatMessage>(streamId);
        const int events = 300;
        for (var i = 0; i < events; i++)
        {
            await stream.OnNextAsync(new ChatMessage(room, i));
        }

        // The only stream of this cluster's log: record id i holds event i.
        var grain = fixture.Partition(StreamsCluster.Log, partition);
        (await grain.GetInfoAsync()).NextId.Should().Be(events);
        await grain.SealAsync();
        await Wait.UntilAsync(async () => (await grain.GetInfoAsync()).Segments.Count(s => s.Status == "LocalEvicted") >= 2, "at least two sealed segments are archived and evicted");
        var evicted = (await grain.GetInfoAsync()).Segments.First(s => s.Status == "LocalEvicted");
        var from = evicted.BaseId + 1;

        var late = fixture.Client.GetGrain<IChatConsumer>($"late-{room}");
        await late.SubscribeAsync(room, fromRecord: from);
        await Wait.UntilAsync(async () => (await late.GetReceivedAsync()).Count >= events - from, $"the rewound subscriber has events {from}..{events - 1}");
        var received = await late.GetReceivedAsync();
        received.Select(r => (long)r.Number).Should().Equal(Enumerable.Range((int)from, events - (int)from).Select(i => (long)i), "every event from the evicted record on, once, in order");
        received.Select(r => r.RecordId).Should().Equal(received.Select(r => (long)r.Number), "each event's token is its record id");
    }
}
