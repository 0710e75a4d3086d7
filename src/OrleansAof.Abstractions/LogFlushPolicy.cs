namespace OrleansAof;

/// <summary>A flush policy as it crosses the wire. Its text form is the engine's: <c>Sync</c>, <c>Batched:1000</c>, <c>Periodic:00:00:00.010</c>, <c>BatchedOrPeriodic:1000:00:00:00.010</c>, <c>Async</c>.</summary>
/// <param name="Kind">The kind of policy.</param>
/// <param name="Records">For batched kinds: the record count that triggers a flush.</param>
/// <param name="Interval">For periodic kinds: the flush interval.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.LogFlushPolicy")]
public sealed record LogFlushPolicy(
    [property: Id(0)] LogFlushPolicyKind Kind,
    [property: Id(1)] int Records,
    [property: Id(2)] TimeSpan Interval)
{
    /// <summary>Acknowledge after fsync, with group commit.</summary>
    public static LogFlushPolicy Sync { get; } = new(LogFlushPolicyKind.Sync, 0, TimeSpan.Zero);

    /// <summary>Fsync only at seal or on an explicit flush.</summary>
    public static LogFlushPolicy Async { get; } = new(LogFlushPolicyKind.Async, 0, TimeSpan.Zero);

    /// <summary>Fsync after every <paramref name="records"/> records.</summary>
    public static LogFlushPolicy Batched(int records) => new(LogFlushPolicyKind.Batched, records, TimeSpan.Zero);

    /// <summary>Fsync every <paramref name="interval"/>.</summary>
    public static LogFlushPolicy Periodic(TimeSpan interval) => new(LogFlushPolicyKind.Periodic, 0, interval);

    /// <summary>Fsync at <paramref name="records"/> records or after <paramref name="interval"/>.</summary>
    public static LogFlushPolicy BatchedOrPeriodic(int records, TimeSpan interval) => new(LogFlushPolicyKind.BatchedOrPeriodic, records, interval);
}
