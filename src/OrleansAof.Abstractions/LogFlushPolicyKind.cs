namespace OrleansAof;

/// <summary>When appends become durable (see the README's durability contract).</summary>
public enum LogFlushPolicyKind
{
    /// <summary>Acknowledged once fsynced; concurrent appends share one fsync (group commit).</summary>
    Sync,

    /// <summary>Acknowledged when written to the OS; fsync after every N records.</summary>
    Batched,

    /// <summary>Acknowledged when written to the OS; fsync every interval.</summary>
    Periodic,

    /// <summary>Acknowledged when written to the OS; fsync at N records or after the interval, whichever comes first.</summary>
    BatchedOrPeriodic,

    /// <summary>Acknowledged when written to the OS; fsync only at seal or on an explicit flush.</summary>
    Async,
}
