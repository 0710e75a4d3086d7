using System.Text.Json;
using OrleansAof.Server;

namespace OrleansAof.Samples.Projection;

/// <summary>An order as the producer writes it (JSON).</summary>
public sealed record OrderPlaced(string Customer, decimal Amount);

/// <summary>The read model: totals per customer of one partition of the "orders" log.</summary>
[GenerateSerializer]
[Alias("samples.OrderTotals")]
public sealed class OrderTotals
{
    /// <summary>Orders folded so far.</summary>
    [Id(0)]
    public long Orders { get; set; }

    /// <summary>Sum of the amounts by customer.</summary>
    [Id(1)]
    public Dictionary<string, decimal> ByCustomer { get; set; } = [];
}

/// <summary>Reads the totals of one partition's projection (keyed like the partition: <c>orders/0</c>).</summary>
[Alias("samples.IOrderTotalsProjection")]
public interface IOrderTotalsProjection : ILogSubscriber
{
    /// <summary>The totals folded so far.</summary>
    [Alias("GetTotals")]
    Task<OrderTotals> GetTotalsAsync();
}

/// <summary>
/// Folds each partition of the "orders" log into <see cref="OrderTotals"/>. The implicit subscription starts one
/// activation per partition on its first notification; the base class pulls from the checkpoint, so each order is
/// counted once even if notifications are lost or repeated. The checkpoint and the totals are saved together.
/// </summary>
[ImplicitStreamSubscription(AppendLogStreams.TailNamespace)]
public sealed class OrderTotalsProjection([PersistentState("order-totals")] IPersistentState<LogSubscriberState<OrderTotals>> state)
    : LogSubscriberGrain<OrderTotals>(state), IOrderTotalsProjection
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public Task<OrderTotals> GetTotalsAsync() => Task.FromResult(Model);

    /// <inheritdoc />
    protected override bool Follows(string log, string partition) => log == "orders";

    /// <inheritdoc />
    protected override Task OnRecordsAsync(string log, string partition, LogRecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var record in batch.Records)
        {
            var order = JsonSerializer.Deserialize<OrderPlaced>(record.Payload.Span, Json)!;
            Model.Orders++;
            Model.ByCustomer[order.Customer] = Model.ByCustomer.GetValueOrDefault(order.Customer) + order.Amount;
        }

        return Task.CompletedTask;
    }
}
