namespace OrleansAof.Storage;

/// <summary>One record read from a partition.</summary>
/// <param name="Id">The record's id.</param>
/// <param name="TimestampMicros">Append time, microseconds since the Unix epoch (non-decreasing within a partition).</param>
/// <param name="Payload">The payload bytes.</param>
public readonly record struct LogRecord(long Id, long TimestampMicros, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The append time.</summary>
    public DateTimeOffset Timestamp => Format.SegmentFormat.FromUnixMicroseconds(TimestampMicros);
}
