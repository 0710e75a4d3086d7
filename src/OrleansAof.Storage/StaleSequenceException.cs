namespace OrleansAof.Storage;

/// <summary>
/// An idempotent append carries a sequence number older than the producer's last acknowledged batch: it is a duplicate
/// of a batch acknowledged earlier whose ids are no longer remembered. Nothing was written.
/// </summary>
public sealed class StaleSequenceException(long producerId, long sequence, long lastSequence)
    : AppendLogException($"Producer {producerId} sent sequence {sequence}, but its last acknowledged batch has sequence {lastSequence}; the batch was already appended.")
{
    /// <summary>The producer.</summary>
    public long ProducerId { get; } = producerId;

    /// <summary>The stale sequence number.</summary>
    public long Sequence { get; } = sequence;

    /// <summary>The producer's last acknowledged sequence number.</summary>
    public long LastSequence { get; } = lastSequence;
}
