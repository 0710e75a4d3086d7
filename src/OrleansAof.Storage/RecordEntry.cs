namespace OrleansAof.Storage;

/// <summary>Where one record of a <see cref="RecordBatch"/> lies in its buffer.</summary>
/// <param name="Id">Record id.</param>
/// <param name="TimestampMicros">Append time, microseconds since the Unix epoch.</param>
/// <param name="Offset">Offset of the payload in <see cref="RecordBatch.Buffer"/>.</param>
/// <param name="Length">Payload length.</param>
public readonly record struct RecordEntry(long Id, long TimestampMicros, int Offset, int Length);
