using System.Collections.Concurrent;
using OrleansAof.Server.Tests.Fixtures;

namespace OrleansAof.Server.Tests.Grains;

/// <summary>
/// Failures the test plans, by subscriber or sink key (the test cluster lives in the test process): how many more times the
/// handler fails on a record id, or a sink refuses an effect key.
/// </summary>
public static class FailurePlans
{
    public static ConcurrentDictionary<string, ConcurrentDictionary<long, int>> Records { get; } = new(StringComparer.Ordinal);

    public static ConcurrentDictionary<string, ConcurrentDictionary<string, int>> Effects { get; } = new(StringComparer.Ordinal);

    public static ConcurrentDictionary<string, int> HandlerFailures { get; } = new(StringComparer.Ordinal);

    public static ConcurrentDictionary<string, int> EffectFailures { get; } = new(StringComparer.Ordinal);

    /// <summary>Takes one planned failure of <paramref name="id"/> if any is left.</summary>
    public static bool Take<T>(ConcurrentDictionary<T, int> plan, T id)
        where T : notnull
    {
        while (plan.TryGetValue(id, out var left) && left > 0)
        {
            if (plan.TryUpdate(id, left - 1, left))
            {
                return true;
            }
        }

        return false;
    }
}

[GenerateSerializer]
[Alias("test.FoldModel")]
public sealed class FoldModel
{
    /// <summary>Every record id folded, in order.</summary>
    [Id(0)]
    public List<long> Ids { get; set; } = [];

    /// <summary>Sum of the payload values.</summary>
    [Id(1)]
    public long Sum { get; set; }
}

/// <summary>An effect: tell the sink that a record was folded.</summary>
[GenerateSerializer]
[Immutable]
[Alias("test.FoldedEffect")]
public sealed record FoldedEffect([property: Id(0)] string Sink, [property: Id(1)] long Value);

[Alias("test.IFlakySubscriber")]
public interface IFlakySubscriber : ILogSubscriber
{
    [Alias("GetModel")]
    Task<FoldModel> GetModelAsync();

    [Alias("GetPendingEffects")]
    Task<int> GetPendingEffectsAsync();
}

/// <summary>Receives effects; refuses the ones its plan says (before recording them) and records every other delivery, repeats included.</summary>
[Alias("test.IEffectSink")]
public interface IEffectSink : IGrainWithStringKey
{
    [Alias("Deliver")]
    Task DeliverAsync(string effectKey, long value);

    [Alias("GetDeliveries")]
    Task<List<string>> GetDeliveriesAsync();
}

public sealed class EffectSink : Grain, IEffectSink
{
    private readonly List<string> _deliveries = [];

    public Task DeliverAsync(string effectKey, long value)
    {
        var me = this.GetPrimaryKeyString();
        if (FailurePlans.Effects.TryGetValue(me, out var plan) && FailurePlans.Take(plan, effectKey))
        {
            FailurePlans.EffectFailures.AddOrUpdate(me, 1, static (_, n) => n + 1);
            throw new InvalidOperationException($"Planned failure of effect {effectKey}.");
        }

        _deliveries.Add($"{effectKey}={value}");
        return Task.CompletedTask;
    }

    public Task<List<string>> GetDeliveriesAsync() => Task.FromResult(_deliveries.ToList());
}

/// <summary>
/// Folds records (payload = a decimal number) into <see cref="FoldModel"/>; on a planned record it throws after changing the
/// model (halfway through the batch). Every record whose value is a multiple of 3 emits an effect to the sink named after
/// the subscriber.
/// </summary>
public sealed class FlakySubscriber([PersistentState("subscriber", AofClusterFixture.SubscriberStorage)] IPersistentState<LogSubscriberState<FoldModel>> state)
    : LogSubscriberGrain<FoldModel>(state), IFlakySubscriber
{
    public Task<FoldModel> GetModelAsync() => Task.FromResult(Model);

    public Task<int> GetPendingEffectsAsync() => Task.FromResult(PendingEffects.Count);

    protected override Task OnRecordsAsync(string log, string partition, LogRecordBatch batch)
    {
        var me = this.GetPrimaryKeyString();
        FailurePlans.Records.TryGetValue(me, out var plan);
        for (var i = 0; i < batch.Count; i++)
        {
            var record = batch[i];
            var value = long.Parse(System.Text.Encoding.UTF8.GetString(record.Payload.Span), System.Globalization.CultureInfo.InvariantCulture);
            Model.Ids.Add(record.Id);
            Model.Sum += value;
            if (value % 3 == 0)
            {
                Emit(log, partition, record.Id, new FoldedEffect(me, value));
            }

            if (plan is not null && FailurePlans.Take(plan, record.Id))
            {
                FailurePlans.HandlerFailures.AddOrUpdate(me, 1, static (_, n) => n + 1);
                throw new InvalidOperationException($"Planned failure at record {record.Id}.");
            }
        }

        return Task.CompletedTask;
    }

    protected override Task DeliverEffectAsync(LogEffect effect) =>
        GrainFactory.GetGrain<IEffectSink>(((FoldedEffect)effect.Payload).Sink).DeliverAsync(effect.Key, ((FoldedEffect)effect.Payload).Value);
}

/// <summary>Records of the stream-woken subscribers, by subscriber key: activations and record ids (read by the test without calling the grain).</summary>
public static class WokenSubscribers
{
    public static ConcurrentDictionary<string, int> Activations { get; } = new(StringComparer.Ordinal);

    public static ConcurrentDictionary<string, ConcurrentQueue<long>> Records { get; } = new(StringComparer.Ordinal);
}

[Alias("test.IWokenSubscriber")]
public interface IWokenSubscriber : ILogSubscriber;

/// <summary>Implicit subscriber of logs named "woken*": reports to <see cref="WokenSubscribers"/> only, so nothing but the stream ever activates it.</summary>
[ImplicitStreamSubscription(AppendLogStreams.TailNamespace)]
public sealed class WokenSubscriber([PersistentState("subscriber", AofClusterFixture.SubscriberStorage)] IPersistentState<LogSubscriberState<FoldModel>> state)
    : LogSubscriberGrain<FoldModel>(state), IWokenSubscriber
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        WokenSubscribers.Activations.AddOrUpdate(this.GetPrimaryKeyString(), 1, static (_, n) => n + 1);
        return base.OnActivateAsync(cancellationToken);
    }

    protected override bool Follows(string log, string partition) => log.StartsWith("woken", StringComparison.Ordinal);

    protected override Task OnRecordsAsync(string log, string partition, LogRecordBatch batch)
    {
        var queue = WokenSubscribers.Records.GetOrAdd(this.GetPrimaryKeyString(), static _ => new ConcurrentQueue<long>());
        for (var i = 0; i < batch.Count; i++)
        {
            Model.Ids.Add(batch[i].Id);
            queue.Enqueue(batch[i].Id);
        }

        return Task.CompletedTask;
    }
}
