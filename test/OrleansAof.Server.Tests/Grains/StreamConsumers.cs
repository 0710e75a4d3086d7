using System.Collections.Concurrent;
using Orleans.Streams;
using OrleansAof.Server.Tests.Fixtures;

namespace OrleansAof.Server.Tests.Grains;

/// <summary>An event on an append-log stream.</summary>
[GenerateSerializer]
[Immutable]
[Alias("test.ChatMessage")]
public sealed record ChatMessage([property: Id(0)] string Room, [property: Id(1)] int Number);

/// <summary>An event as a consumer saw it: its number and its token (record id, event index).</summary>
[GenerateSerializer]
[Immutable]
[Alias("test.Received")]
public sealed record Received([property: Id(0)] int Number, [property: Id(1)] long RecordId, [property: Id(2)] int EventIndex);

[Alias("test.IChatConsumer")]
public interface IChatConsumer : IGrainWithStringKey
{
    /// <summary>Subscribes to room <paramref name="room"/>, from <paramref name="fromRecord"/>/<paramref name="fromIndex"/> when given.</summary>
    [Alias("Subscribe")]
    Task SubscribeAsync(string room, long? fromRecord = null, int fromIndex = 0);

    [Alias("Unsubscribe")]
    Task UnsubscribeAsync();

    [Alias("GetReceived")]
    Task<List<Received>> GetReceivedAsync();
}

/// <summary>An explicit subscriber of one chat room stream (namespace "chat").</summary>
public sealed class ChatConsumer : Grain, IChatConsumer
{
    private readonly List<Received> _received = [];
    private StreamSubscriptionHandle<ChatMessage>? _handle;

    public async Task SubscribeAsync(string room, long? fromRecord = null, int fromIndex = 0)
    {
        var stream = this.GetStreamProvider(StreamsCluster.Provider).GetStream<ChatMessage>(StreamId.Create("chat", room));
        _handle = fromRecord is { } id
            ? await stream.SubscribeAsync(OnNextAsync, new Orleans.Providers.Streams.Common.EventSequenceTokenV2(id, fromIndex))
            : await stream.SubscribeAsync(OnNextAsync);
    }

    public async Task UnsubscribeAsync()
    {
        if (_handle is not null)
        {
            await _handle.UnsubscribeAsync();
            _handle = null;
        }
    }

    public Task<List<Received>> GetReceivedAsync() => Task.FromResult(_received.ToList());

    private Task OnNextAsync(ChatMessage message, StreamSequenceToken? token)
    {
        _received.Add(new Received(message.Number, token!.SequenceNumber, token.EventIndex));
        return Task.CompletedTask;
    }
}

/// <summary>What implicit chat subscribers received, by room (read by the tests without calling the grains).</summary>
public static class ImplicitChat
{
    public static ConcurrentDictionary<string, ConcurrentQueue<Received>> Received { get; } = new(StringComparer.Ordinal);
}

[Alias("test.IImplicitChatConsumer")]
public interface IImplicitChatConsumer : IGrainWithStringKey;

/// <summary>Implicit subscriber of every room of namespace "chat-implicit": one activation per room, started by the room's first event.</summary>
[ImplicitStreamSubscription("chat-implicit")]
public sealed class ImplicitChatConsumer : Grain, IImplicitChatConsumer
{
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var room = this.GetPrimaryKeyString();
        var stream = this.GetStreamProvider(StreamsCluster.Provider).GetStream<ChatMessage>(StreamId.Create("chat-implicit", room));
        var received = ImplicitChat.Received.GetOrAdd(room, static _ => new ConcurrentQueue<Received>());
        await stream.SubscribeAsync((m, t) =>
        {
            received.Enqueue(new Received(m.Number, t!.SequenceNumber, t.EventIndex));
            return Task.CompletedTask;
        });
        await base.OnActivateAsync(cancellationToken);
    }
}
