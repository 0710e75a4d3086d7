namespace OrleansAof;

/// <summary>
/// An append carries an invalid <see cref="ProducerStamp"/>: a producer id that is not positive, or a negative sequence
/// number. Nothing was written.
/// </summary>
[GenerateSerializer]
[Alias("aof.InvalidProducerStampException")]
public sealed class InvalidProducerStampException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public InvalidProducerStampException(long producerId, long sequence, string message)
        : base(message)
    {
        ProducerId = producerId;
        Sequence = sequence;
    }

    /// <summary>The stamp's producer id.</summary>
    [Id(0)]
    public long ProducerId { get; private set; }

    /// <summary>The stamp's sequence number.</summary>
    [Id(1)]
    public long Sequence { get; private set; }
}
