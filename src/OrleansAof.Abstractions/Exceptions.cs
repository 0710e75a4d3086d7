namespace OrleansAof;

/// <summary>
/// Base class of every error the append log reports on purpose. Each derived type says what happened and what the
/// caller should do; <see cref="IsRetryable"/> tells whether the same call may succeed later without any change.
/// </summary>
[GenerateSerializer]
[Alias("aof.AppendLogException")]
public abstract class AppendLogException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected AppendLogException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Whether the same call may succeed later without any change by the caller.</summary>
    public virtual bool IsRetryable => false;
}

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

/// <summary>A record is larger than the configured maximum. Nothing was written; split the record or raise <c>AppendLogOptions.MaxRecordBytes</c>.</summary>
[GenerateSerializer]
[Alias("aof.RecordTooLargeException")]
public sealed class RecordTooLargeException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public RecordTooLargeException(int size, int maximum, string message)
        : base(message)
    {
        Size = size;
        Maximum = maximum;
    }

    /// <summary>The size of the rejected record.</summary>
    [Id(0)]
    public int Size { get; private set; }

    /// <summary>The configured maximum.</summary>
    [Id(1)]
    public int Maximum { get; private set; }
}

/// <summary>An append batch holds no record. Nothing was written.</summary>
[GenerateSerializer]
[Alias("aof.EmptyBatchException")]
public sealed class EmptyBatchException(string message) : AppendLogException(message);

/// <summary>An append batch would not fit in one segment. Nothing was written; split the batch.</summary>
[GenerateSerializer]
[Alias("aof.BatchTooLargeException")]
public sealed class BatchTooLargeException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public BatchTooLargeException(int records, long bytes, string message)
        : base(message)
    {
        Records = records;
        Bytes = bytes;
    }

    /// <summary>Records in the rejected batch.</summary>
    [Id(0)]
    public int Records { get; private set; }

    /// <summary>Bytes the batch needs on disk, framing included.</summary>
    [Id(1)]
    public long Bytes { get; private set; }
}

/// <summary>
/// A call names an invalid id or range: a read from a negative id, a reversed range or a non-positive limit, or an append
/// whose expected last id is below -1 (-1 means "the partition is empty"). Nothing was read or written.
/// </summary>
[GenerateSerializer]
[Alias("aof.InvalidRangeException")]
public sealed class InvalidRangeException(string message) : AppendLogException(message);

/// <summary>A read starts past the tail (greater than the next id). Reading exactly at the next id is allowed and returns nothing.</summary>
[GenerateSerializer]
[Alias("aof.ReadBeyondTailException")]
public sealed class ReadBeyondTailException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public ReadBeyondTailException(long fromId, long nextId, string message)
        : base(message)
    {
        FromId = fromId;
        NextId = nextId;
    }

    /// <summary>The requested id.</summary>
    [Id(0)]
    public long FromId { get; private set; }

    /// <summary>The next id the partition will assign.</summary>
    [Id(1)]
    public long NextId { get; private set; }
}

/// <summary>A read starts below the partition's first id: the records were removed by retention. Resume from <see cref="FirstId"/>.</summary>
[GenerateSerializer]
[Alias("aof.RecordTrimmedException")]
public sealed class RecordTrimmedException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public RecordTrimmedException(long fromId, long firstId, string message)
        : base(message)
    {
        FromId = fromId;
        FirstId = firstId;
    }

    /// <summary>The requested id.</summary>
    [Id(0)]
    public long FromId { get; private set; }

    /// <summary>The first id the partition still holds.</summary>
    [Id(1)]
    public long FirstId { get; private set; }
}

/// <summary>A log or partition name is invalid (see <see cref="PartitionKey"/>). Nothing was done.</summary>
[GenerateSerializer]
[Alias("aof.InvalidPartitionNameException")]
public sealed class InvalidPartitionNameException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public InvalidPartitionNameException(string name, string reason)
        : base($"{PartitionKey.ForDisplay(name)} is not a valid log or partition name: {reason}.")
    {
        Name = PartitionKey.Shorten(name);
    }

    /// <summary>The rejected name, cut to <see cref="PartitionKey.MaxDisplayLength"/> characters.</summary>
    [Id(0)]
    public string Name { get; private set; }
}

/// <summary>An option or argument that configures the log is invalid. The message starts with the option's name.</summary>
[GenerateSerializer]
[Alias("aof.InvalidLogOptionsException")]
public sealed class InvalidLogOptionsException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public InvalidLogOptionsException(string optionName, string message)
        : base(message)
    {
        OptionName = optionName;
    }

    /// <summary>The option, as <c>Class.Property</c>.</summary>
    [Id(0)]
    public string OptionName { get; private set; }
}

/// <summary>Another writer holds the partition directory. Only one activation writes a partition; close the other writer first.</summary>
[GenerateSerializer]
[Alias("aof.PartitionLockedException")]
public sealed class PartitionLockedException(string message) : AppendLogException(message);

/// <summary>
/// The partition stopped after an I/O error (fail-stop) or found damage in its active segment. It refuses appends until
/// it is reopened (deactivate the grain or restart the silo) or repaired by an operator. In-flight appends were not acknowledged.
/// </summary>
[GenerateSerializer]
[Alias("aof.PartitionFaultedException")]
public sealed class PartitionFaultedException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public PartitionFaultedException(string reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>Why the partition stopped.</summary>
    [Id(0)]
    public string Reason { get; private set; }
}

/// <summary>The partition refuses appends for now to bound memory or backlog. Nothing was written; retry after <see cref="RetryAfter"/>.</summary>
[GenerateSerializer]
[Alias("aof.LogBackpressureException")]
public sealed class LogBackpressureException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public LogBackpressureException(string reason, TimeSpan retryAfter, string message)
        : base(message)
    {
        Reason = reason;
        RetryAfter = retryAfter;
    }

    /// <summary>Which bound was hit (<c>UnflushedBytes</c> or <c>ArchiveBacklog</c>).</summary>
    [Id(0)]
    public string Reason { get; private set; }

    /// <summary>A suggested delay before retrying.</summary>
    [Id(1)]
    public TimeSpan RetryAfter { get; private set; }

    /// <inheritdoc />
    public override bool IsRetryable => true;
}

/// <summary>An append carried an expected last id that is not the partition's last id. Nothing was written; <see cref="ActualLastId"/> says where the partition is.</summary>
[GenerateSerializer]
[Alias("aof.ExpectedLastIdMismatchException")]
public sealed class ExpectedLastIdMismatchException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public ExpectedLastIdMismatchException(long expectedLastId, long actualLastId, string message)
        : base(message)
    {
        ExpectedLastId = expectedLastId;
        ActualLastId = actualLastId;
    }

    /// <summary>The id the caller expected.</summary>
    [Id(0)]
    public long ExpectedLastId { get; private set; }

    /// <summary>The partition's actual last id (-1 when it is empty).</summary>
    [Id(1)]
    public long ActualLastId { get; private set; }
}

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

/// <summary>Stored data failed its checksum. It is never returned as data; the segment is quarantined for an operator.</summary>
[GenerateSerializer]
[Alias("aof.SegmentCorruptedException")]
public sealed class SegmentCorruptedException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public SegmentCorruptedException(long baseId, string detail, string message)
        : base(message)
    {
        BaseId = baseId;
        Detail = detail;
    }

    /// <summary>Base id of the damaged segment.</summary>
    [Id(0)]
    public long BaseId { get; private set; }

    /// <summary>What is wrong.</summary>
    [Id(1)]
    public string Detail { get; private set; }
}

/// <summary>An archived object does not match the size or checksum recorded when it was stored. It is never returned as data.</summary>
[GenerateSerializer]
[Alias("aof.ArchiveIntegrityException")]
public sealed class ArchiveIntegrityException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public ArchiveIntegrityException(string objectKey, string message)
        : base(message)
    {
        ObjectKey = objectKey;
    }

    /// <summary>The object's key.</summary>
    [Id(0)]
    public string ObjectKey { get; private set; }
}

/// <summary>
/// The partition cannot open: ids it may have acknowledged are held by no local file and no archived object (its volume
/// was lost, for example), and handing ids out again from the last one held would give new records the ids of lost ones.
/// Not retryable: an operator restores the data, or accepts the loss with <c>aof restore --skip-lost-ids</c>, which
/// leaves the ids <see cref="HeldThrough"/> + 1 .. <see cref="Bound"/> as an explicit gap.
/// </summary>
[GenerateSerializer]
[Alias("aof.PartitionDataLostException")]
public sealed class PartitionDataLostException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public PartitionDataLostException(string partition, long heldThrough, long bound, string message)
        : base(message)
    {
        Partition = partition;
        HeldThrough = heldThrough;
        Bound = bound;
    }

    /// <summary>The partition, <c>{log}/{partition}</c>.</summary>
    [Id(0)]
    public string Partition { get; private set; }

    /// <summary>The last id that local files and the archive hold (-1 when none).</summary>
    [Id(1)]
    public long HeldThrough { get; private set; }

    /// <summary>The recorded id bound: no id above it was ever handed out.</summary>
    [Id(2)]
    public long Bound { get; private set; }
}

/// <summary>
/// A read starts in ids that are lost: no local file and no archived object holds them (see the partition's <c>Missing</c>
/// segments in <c>aof status</c>). Not retryable; resume reading from <see cref="NextId"/>. A read that reaches such ids
/// after returning records stops before them, so a tail sees this exception exactly at the gap.
/// </summary>
[GenerateSerializer]
[Alias("aof.RecordsMissingException")]
public sealed class RecordsMissingException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public RecordsMissingException(long fromId, long firstMissingId, long lastMissingId, string message)
        : base(message)
    {
        FromId = fromId;
        FirstMissingId = firstMissingId;
        LastMissingId = lastMissingId;
    }

    /// <summary>The requested id.</summary>
    [Id(0)]
    public long FromId { get; private set; }

    /// <summary>The first lost id.</summary>
    [Id(1)]
    public long FirstMissingId { get; private set; }

    /// <summary>The last lost id.</summary>
    [Id(2)]
    public long LastMissingId { get; private set; }

    /// <summary>The id to continue reading from.</summary>
    public long NextId => LastMissingId + 1;
}
