namespace OrleansAof.Storage.Format;

/// <summary>The last idempotent batch of one producer.</summary>
/// <param name="ProducerId">The producer.</param>
/// <param name="Sequence">Sequence number of its last batch.</param>
/// <param name="FirstId">First id of that batch.</param>
/// <param name="LastId">Last id of that batch.</param>
public readonly record struct ProducerEntry(long ProducerId, long Sequence, long FirstId, long LastId);
