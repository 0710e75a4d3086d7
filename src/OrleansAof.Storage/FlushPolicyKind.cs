namespace OrleansAof.Storage;

/// <summary>The kinds of <see cref="FlushPolicy"/>.</summary>
public enum FlushPolicyKind
{
    /// <summary>An append is acknowledged once fsynced; concurrent appends share one fsync (group commit).</summary>
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
