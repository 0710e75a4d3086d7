namespace OrleansAof;

/// <summary>One record: its id, append time and payload.</summary>
/// <param name="Id">Record id.</param>
/// <param name="TimestampMicros">Append time, microseconds since the Unix epoch (non-decreasing within a partition).</param>
/// <param name="Payload">The payload (a slice of the batch buffer it was read with).</param>
public readonly record struct LogRecord(long Id, long TimestampMicros, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The append time.</summary>
    public DateTimeOffset Timestamp => DateTimeOffset.UnixEpoch.AddTicks(TimestampMicros * 10);
}
