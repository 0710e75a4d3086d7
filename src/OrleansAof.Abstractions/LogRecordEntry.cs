namespace OrleansAof;

/// <summary>Where one record of a <see cref="LogRecordBatch"/> lies in its buffer.</summary>
/// <param name="Id">Record id.</param>
/// <param name="TimestampMicros">Append time, microseconds since the Unix epoch.</param>
/// <param name="Offset">Offset of the payload in <see cref="LogRecordBatch.Buffer"/>.</param>
/// <param name="Length">Payload length.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.LogRecordEntry")]
public readonly record struct LogRecordEntry(
    [property: Id(0)] long Id,
    [property: Id(1)] long TimestampMicros,
    [property: Id(2)] int Offset,
    [property: Id(3)] int Length);
