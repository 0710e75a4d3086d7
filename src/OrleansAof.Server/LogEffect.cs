using System.Globalization;

namespace OrleansAof.Server;

/// <summary>
/// A side effect of a handled record, kept in a subscriber's outbox until <see cref="LogSubscriberGrain{TModel}.DeliverEffectAsync"/>
/// succeeds. Its <see cref="Key"/> is stable: the same record always emits the same keys, so the receiver can drop a
/// repeated delivery (one can happen when a subscriber stops between delivering an effect and writing that it did).
/// </summary>
[GenerateSerializer]
[Alias("aof.LogEffect")]
public sealed class LogEffect
{
    /// <summary>The log of the record that emitted the effect.</summary>
    [Id(0)]
    public required string Log { get; init; }

    /// <summary>The partition of the record that emitted the effect.</summary>
    [Id(1)]
    public required string Partition { get; init; }

    /// <summary>The id of the record that emitted the effect.</summary>
    [Id(2)]
    public required long RecordId { get; init; }

    /// <summary>The effect's position among the effects of its record (from 0).</summary>
    [Id(3)]
    public required int Index { get; init; }

    /// <summary>What to do: any value the Orleans serializer can write (a <c>[GenerateSerializer]</c> type).</summary>
    [Id(4)]
    public required object Payload { get; init; }

    /// <summary>Failed delivery attempts so far.</summary>
    [Id(5)]
    public int Attempts { get; set; }

    /// <summary>The idempotency key <c>{log}/{partition}#{recordId}.{index}</c>: unique per effect, the same on every delivery of it.</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture, $"{Log}/{Partition}#{RecordId}.{Index}");
}
