using System.Globalization;
using System.Text;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;
using Orleans.Streams.Core;
using OrleansAof.Server;

namespace OrleansAof.StreamSilo;

/// <summary>An event the tests produce: its stream's key and its number in that stream.</summary>
[GenerateSerializer]
[Alias("streamsilo.StreamEvent")]
public sealed record StreamEvent([property: Id(0)] string Stream, [property: Id(1)] int Number);

/// <summary>One delivery a recorder received: the event number and its token (record id, event index).</summary>
[GenerateSerializer]
[Alias("streamsilo.ReceivedEvent")]
public sealed record ReceivedEvent([property: Id(0)] int Number, [property: Id(1)] long RecordId, [property: Id(2)] int EventIndex);

[GenerateSerializer]
[Alias("streamsilo.RecorderState")]
public sealed class RecorderState
{
    /// <summary>Every delivery, in arrival order, duplicates included.</summary>
    [Id(0)]
    public List<ReceivedEvent> Received { get; set; } = [];
}

[Alias("streamsilo.IEventRecorder")]
public interface IEventRecorder : IGrainWithStringKey
{
    /// <summary>Subscribes explicitly to stream <paramref name="key"/> of <paramref name="streamNamespace"/>.</summary>
    [Alias("Subscribe")]
    Task SubscribeAsync(string streamNamespace, string key);

    [Alias("GetReceived")]
    Task<List<ReceivedEvent>> GetReceivedAsync();
}

[Alias("streamsilo.IImplicitEventRecorder")]
public interface IImplicitEventRecorder : IGrainWithStringKey
{
    [Alias("GetReceived")]
    Task<List<ReceivedEvent>> GetReceivedAsync();
}

/// <summary>
/// Writes every delivery to its Redis state before the delivery returns, so what it recorded outlives a killed silo.
/// A new activation resumes its subscriptions when the stream delivers to it (<see cref="IStreamSubscriptionObserver"/>).
/// </summary>
public abstract class RecorderGrain(IPersistentState<RecorderState> state) : Grain, IStreamSubscriptionObserver
{
    public Task<List<ReceivedEvent>> GetReceivedAsync() => Task.FromResult(state.State.Received.ToList());

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        ArgumentNullException.ThrowIfNull(handleFactory);
        await handleFactory.Create<StreamEvent>().ResumeAsync(OnNextAsync);
    }

    protected async Task OnNextAsync(StreamEvent item, StreamSequenceToken? token)
    {
        ArgumentNullException.ThrowIfNull(item);
        var t = token as EventSequenceTokenV2 ?? throw new InvalidOperationException($"Expected an EventSequenceTokenV2, got {token?.GetType().Name ?? "null"}.");
        state.State.Received.Add(new ReceivedEvent(item.Number, t.SequenceNumber, t.EventIndex));
        await state.WriteStateAsync();
    }
}

/// <summary>An explicit subscriber (one per stream in the tests).</summary>
public sealed class EventRecorder([PersistentState("recorder", StreamSiloSettings.RecorderStorage)] IPersistentState<RecorderState> state)
    : RecorderGrain(state), IEventRecorder
{
    public async Task SubscribeAsync(string streamNamespace, string key)
    {
        var stream = this.GetStreamProvider(StreamSiloSettings.Provider).GetStream<StreamEvent>(StreamId.Create(streamNamespace, key));
        await stream.SubscribeAsync(OnNextAsync);
    }
}

/// <summary>The implicit subscriber of every stream of namespace <see cref="Namespace"/>: one activation per stream, keyed like it.</summary>
[ImplicitStreamSubscription(Namespace)]
public sealed class ImplicitEventRecorder([PersistentState("recorder", StreamSiloSettings.RecorderStorage)] IPersistentState<RecorderState> state)
    : RecorderGrain(state), IImplicitEventRecorder
{
    public const string Namespace = "implicit-events";
}

/// <summary>The fold of records whose payload is an integer: sum, count, and the ids in the order they were applied.</summary>
[GenerateSerializer]
[Alias("streamsilo.FoldModel")]
public sealed class FoldModel
{
    [Id(0)]
    public long Sum { get; set; }

    [Id(1)]
    public int Count { get; set; }

    [Id(2)]
    public List<long> Applied { get; set; } = [];
}

/// <summary>The side effect of one folded record.</summary>
[GenerateSerializer]
[Alias("streamsilo.FoldEffect")]
public sealed record FoldEffect([property: Id(0)] long RecordId, [property: Id(1)] int Value);

[Alias("streamsilo.IFoldSubscriber")]
public interface IFoldSubscriber : ILogSubscriber
{
    [Alias("GetModel")]
    Task<FoldModel> GetModelAsync();
}

/// <summary>
/// A <see cref="LogSubscriberGrain{TModel}"/> that folds integer records and emits one effect per record to the
/// <see cref="IEffectSink"/> of the same key. With <see cref="StreamSiloSettings.BlockAtId"/> set, the first time it
/// reaches that record (no <c>blocked</c> file in <see cref="StreamSiloSettings.BlockDir"/> yet) it writes the file and
/// stops inside the handler, with the earlier records of the batch already in its in-memory model, until it is killed.
/// </summary>
public sealed class FoldSubscriber(
    [PersistentState("fold", StreamSiloSettings.RecorderStorage)] IPersistentState<LogSubscriberState<FoldModel>> state,
    StreamSiloSettings settings) : LogSubscriberGrain<FoldModel>(state), IFoldSubscriber
{
    public const string BlockedFile = "blocked";

    public Task<FoldModel> GetModelAsync() => Task.FromResult(new FoldModel { Sum = Model.Sum, Count = Model.Count, Applied = [.. Model.Applied] });

    protected override async Task OnRecordsAsync(string log, string partition, LogRecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        for (var i = 0; i < batch.Count; i++)
        {
            var record = batch[i];
            if (record.Id == settings.BlockAtId && settings.BlockDir.Length > 0)
            {
                var blocked = Path.Combine(settings.BlockDir, BlockedFile);
                if (!File.Exists(blocked))
                {
                    await File.WriteAllTextAsync(blocked, string.Create(CultureInfo.InvariantCulture, $"{batch[0].Id} {record.Id}"));
                    await Task.Delay(Timeout.InfiniteTimeSpan);
                }
            }

            var value = int.Parse(Encoding.UTF8.GetString(record.Payload.Span), CultureInfo.InvariantCulture);
            Model.Sum += value;
            Model.Count++;
            Model.Applied.Add(record.Id);
            Emit(log, partition, record.Id, new FoldEffect(record.Id, value));
        }
    }

    protected override Task DeliverEffectAsync(LogEffect effect)
    {
        ArgumentNullException.ThrowIfNull(effect);
        var payload = (FoldEffect)effect.Payload;
        return GrainFactory.GetGrain<IEffectSink>(this.GetPrimaryKeyString()).DeliverAsync(effect.Key, payload.Value);
    }
}

[GenerateSerializer]
[Alias("streamsilo.SinkState")]
public sealed class SinkState
{
    /// <summary>Deliveries per effect key (a key delivered twice counts 2).</summary>
    [Id(0)]
    public Dictionary<string, int> Deliveries { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The value of each key.</summary>
    [Id(1)]
    public Dictionary<string, int> Values { get; set; } = new(StringComparer.Ordinal);
}

[Alias("streamsilo.IEffectSink")]
public interface IEffectSink : IGrainWithStringKey
{
    [Alias("Deliver")]
    Task DeliverAsync(string key, int value);

    [Alias("GetState")]
    Task<SinkState> GetStateAsync();
}

/// <summary>The receiver of a fold subscriber's effects: counts each delivery in Redis before it returns.</summary>
public sealed class EffectSink([PersistentState("sink", StreamSiloSettings.RecorderStorage)] IPersistentState<SinkState> state) : Grain, IEffectSink
{
    public async Task DeliverAsync(string key, int value)
    {
        state.State.Deliveries[key] = state.State.Deliveries.GetValueOrDefault(key) + 1;
        state.State.Values[key] = value;
        await state.WriteStateAsync();
    }

    public Task<SinkState> GetStateAsync() => Task.FromResult(state.State);
}
