using System.Diagnostics;

namespace OrleansAof;

/// <summary>
/// Names to register with OpenTelemetry (or any <see cref="ActivityListener"/> and <see cref="System.Diagnostics.Metrics.MeterListener"/>):
/// the product's one <see cref="ActivitySource"/> and its meters. docs/observability.md lists every span and instrument.
/// </summary>
public static class AppendLogTelemetry
{
    /// <summary>The activity source of every span of the product (client, grains, engine, archive).</summary>
    public const string ActivitySourceName = "OrleansAof";

    /// <summary>The engine's meter (flushes, appends, seals, archive transfers, backlog, read cache).</summary>
    public const string StorageMeterName = "OrleansAof.Storage";

    /// <summary>The silo's meter (grain calls, activations, notifications, archival runs, retention).</summary>
    public const string ServerMeterName = "OrleansAof.Server";

    /// <summary>Both meters.</summary>
    public static IReadOnlyList<string> MeterNames { get; } = [StorageMeterName, ServerMeterName];

    /// <summary>Span of a client append (<c>AppendLogHandle</c>), the root of the append tree.</summary>
    public const string ClientAppendSpan = "aof.client.append";

    /// <summary>Span of a client read.</summary>
    public const string ClientReadSpan = "aof.client.read";

    /// <summary>Span of an append served by the partition grain (a child of the client's span across the grain call).</summary>
    public const string GrainAppendSpan = "aof.partition.append";

    /// <summary>Span of a read served by the partition grain.</summary>
    public const string GrainReadSpan = "aof.partition.read";

    /// <summary>Span of one tail notification delivered to the direct listeners or the tail stream.</summary>
    public const string TailDeliverySpan = "aof.tail.deliver";

    /// <summary>Span of one archiver run: archive sealed segments, evict, apply retention.</summary>
    public const string ArchivalSpan = "aof.partition.archive";

    internal static readonly ActivitySource Source = new(ActivitySourceName, "1.0");

    /// <summary>Starts a span of a partition operation, tagged with its log and partition; null when nobody listens.</summary>
    internal static Activity? Start(string name, ActivityKind kind, string log, string partition)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(name, kind);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("aof.log", log);
            activity.SetTag("aof.partition", partition);
        }

        return activity;
    }

    /// <summary>Marks <paramref name="activity"/> failed with <paramref name="error"/>.</summary>
    internal static void Failed(Activity? activity, Exception error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, error.GetType().Name);
        activity.AddException(error);
    }

    /// <summary>Tags <paramref name="activity"/> with the ids an append received.</summary>
    internal static void Acked(Activity? activity, AppendAck ack)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("aof.first_id", ack.FirstId);
            activity.SetTag("aof.last_id", ack.LastId);
            activity.SetTag("aof.durable", ack.IsDurable);
        }
    }
}
