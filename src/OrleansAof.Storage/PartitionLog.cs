namespace OrleansAof.Storage;

/// <summary>Placeholder while the engine is written.</summary>
public sealed class PartitionLog
{
    /// <summary>Flush metrics.</summary>
    public FlushMetricsSnapshot GetFlushMetrics() => throw new NotImplementedException();
}
