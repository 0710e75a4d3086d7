namespace OrleansAof;

/// <summary>
/// The answer to an append was lost in transport (the call timed out, or the silo went away with the call in flight):
/// the records may or may not have been written. Retry with the same <see cref="ProducerStamp"/> (the batching
/// <c>LogProducer</c> does) and the partition acknowledges the original ids without writing twice; an append without a
/// stamp cannot tell, so read the partition to find out. A <see cref="PartitionUnavailableException"/> (so existing
/// handlers of that type keep working), and retryable.
/// </summary>
[GenerateSerializer]
[Alias("aof.AppendOutcomeUnknownException")]
public sealed class AppendOutcomeUnknownException : PartitionUnavailableException
{
    /// <summary>Creates the exception.</summary>
    public AppendOutcomeUnknownException(string partition, string reason, Exception? innerException = null)
        : base(partition, reason, $"The append to partition '{partition}' may or may not have been written: {reason}. Retry with the same producer stamp to write it exactly once.", innerException)
    {
    }
}
