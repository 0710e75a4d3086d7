namespace OrleansAof.Storage;

/// <summary>
/// Identifies an append for idempotence: a producer's id and the sequence number of the batch. A batch retried with the
/// same stamp is acknowledged with its original ids and never written twice (also across reopen and restart).
/// Sequence numbers of one producer must increase; gaps are allowed.
/// </summary>
/// <param name="ProducerId">A producer's id (the grain API accepts positive ids only).</param>
/// <param name="Sequence">The batch's sequence number within the producer (from 0).</param>
public readonly record struct ProducerStamp(long ProducerId, long Sequence);
