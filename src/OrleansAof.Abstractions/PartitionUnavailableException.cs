namespace OrleansAof;

/// <summary>
/// The partition cannot be served right now: its owner silo is down or unknown, or the partition is closing. Nothing was
/// done — except when the exception is the subclass <see cref="AppendOutcomeUnknownException"/>, raised for an append
/// whose answer was lost in transport. Retry after a short delay (a restarted owner recovers the partition with every
/// acknowledged record).
/// </summary>
[GenerateSerializer]
[Alias("aof.PartitionUnavailableException")]
public class PartitionUnavailableException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public PartitionUnavailableException(string partition, string reason, Exception? innerException = null)
        : this(partition, reason, $"Partition '{partition}' is unavailable: {reason}", innerException)
    {
    }

    /// <summary>Creates the exception with its own message.</summary>
    protected PartitionUnavailableException(string partition, string reason, string message, Exception? innerException)
        : base(message, innerException)
    {
        Partition = partition;
        Reason = reason;
    }

    /// <summary>The partition key <c>{log}/{partition}</c>.</summary>
    [Id(0)]
    public string Partition { get; private set; }

    /// <summary>Why it is unavailable.</summary>
    [Id(1)]
    public string Reason { get; private set; }

    /// <inheritdoc />
    public override bool IsRetryable => true;
}
