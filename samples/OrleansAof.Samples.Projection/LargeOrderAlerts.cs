using System.Text.Json;
using OrleansAof.Server;

namespace OrleansAof.Samples.Projection;

/// <summary>An alert for an order at or above <see cref="LargeOrderAlerts.Threshold"/>.</summary>
/// <param name="Customer">The customer.</param>
/// <param name="Amount">The order's amount.</param>
[GenerateSerializer]
[Immutable]
[Alias("samples.LargeOrder")]
public sealed record LargeOrder([property: Id(0)] string Customer, [property: Id(1)] decimal Amount);

/// <summary>Where alerts end up (one per customer). It ignores an alert whose key it has seen: delivery is at least once.</summary>
[Alias("samples.IAlertInbox")]
public interface IAlertInbox : IGrainWithStringKey
{
    /// <summary>Takes an alert; returns false when <paramref name="key"/> was already taken.</summary>
    [Alias("Take")]
    Task<bool> TakeAsync(string key, LargeOrder alert);

    /// <summary>The alerts taken, oldest first.</summary>
    [Alias("GetAlerts")]
    Task<List<LargeOrder>> GetAlertsAsync();
}

/// <summary>An in-memory inbox (a real one would send an e-mail or call a service, passing the key as its idempotency key).</summary>
public sealed class AlertInbox : Grain, IAlertInbox
{
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<LargeOrder> _alerts = [];

    /// <inheritdoc />
    public Task<bool> TakeAsync(string key, LargeOrder alert)
    {
        if (!_keys.Add(key))
        {
            return Task.FromResult(false);
        }

        _alerts.Add(alert);
        return Task.FromResult(true);
    }

    /// <inheritdoc />
    public Task<List<LargeOrder>> GetAlertsAsync() => Task.FromResult(_alerts.ToList());
}

/// <summary>The subscriber's own model: how many alerts it has emitted.</summary>
[GenerateSerializer]
[Alias("samples.AlertCount")]
public sealed class AlertCount
{
    /// <summary>Alerts emitted so far.</summary>
    [Id(0)]
    public long Emitted { get; set; }
}

/// <summary>
/// Side effects through the outbox: for every order at or above <see cref="Threshold"/> it emits a <see cref="LargeOrder"/>
/// alert (<c>Emit</c>), which is written with its checkpoint and then delivered to the customer's <see cref="IAlertInbox"/>,
/// retried until it is taken. The effect's key (<c>{log}/{partition}#{id}.{index}</c>) lets the inbox drop a repeat.
/// One activation per partition of "orders" (implicit subscription), like <see cref="OrderTotalsProjection"/>.
/// </summary>
[ImplicitStreamSubscription(AppendLogStreams.TailNamespace)]
public sealed class LargeOrderAlerts([PersistentState("large-order-alerts")] IPersistentState<LogSubscriberState<AlertCount>> state)
    : LogSubscriberGrain<AlertCount>(state), ILogSubscriber
{
    /// <summary>The amount from which an order raises an alert.</summary>
    public const decimal Threshold = 100m;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    protected override bool Follows(string log, string partition) => log == "orders";

    /// <inheritdoc />
    protected override Task OnRecordsAsync(string log, string partition, LogRecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var record in batch.Records)
        {
            var order = JsonSerializer.Deserialize<OrderPlaced>(record.Payload.Span, Json)!;
            if (order.Amount >= Threshold)
            {
                Emit(log, partition, record.Id, new LargeOrder(order.Customer, order.Amount));
                Model.Emitted++;
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override Task DeliverEffectAsync(LogEffect effect)
    {
        ArgumentNullException.ThrowIfNull(effect);
        var alert = (LargeOrder)effect.Payload;
        return GrainFactory.GetGrain<IAlertInbox>(alert.Customer).TakeAsync(effect.Key, alert);
    }
}
