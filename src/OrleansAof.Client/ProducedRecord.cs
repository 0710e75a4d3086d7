namespace OrleansAof.Client;

/// <summary>Where a produced record landed.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="Id">The record's id in the partition.</param>
/// <param name="IsDurable">Whether it was durable when acknowledged.</param>
public readonly record struct ProducedRecord(string Partition, long Id, bool IsDurable);
