namespace OrleansAof;

/// <summary>
/// Identifies an append for idempotence: a producer's id and the sequence number of the batch. A batch retried with the
/// same stamp is acknowledged with its original ids and never written twice, also after the partition was deactivated,
/// reactivated or its silo restarted. Sequence numbers of one producer must increase per partition; gaps are allowed.
/// </summary>
/// <param name="ProducerId">A producer's id: positive, for example <c>Random.Shared.NextInt64(1, long.MaxValue)</c>; zero or a negative id is refused with <see cref="InvalidProducerStampException"/>.</param>
/// <param name="Sequence">The batch's sequence number within the producer (from 0; a negative one is refused the same way).</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.ProducerStamp")]
public readonly record struct ProducerStamp(
    [property: Id(0)] long ProducerId,
    [property: Id(1)] long Sequence);
