namespace OrleansAof;

/// <summary>An idempotent append carries a sequence number older than the producer's last acknowledged batch whose ids are no longer remembered: it was already appended. Nothing was written.</summary>
[GenerateSerializer]
[Alias("aof.StaleSequenceException")]
public sealed class StaleSequenceException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public StaleSequenceException(long producerId, long sequence, long lastSequence, string message)
        : base(message)
    {
        ProducerId = producerId;
        Sequence = sequence;
        LastSequence = lastSequence;
    }

    /// <summary>The producer.</summary>
    [Id(0)]
    public long ProducerId { get; private set; }

    /// <summary>The stale sequence number.</summary>
    [Id(1)]
    public long Sequence { get; private set; }

    /// <summary>The producer's last acknowledged sequence number.</summary>
    [Id(2)]
    public long LastSequence { get; private set; }
}
