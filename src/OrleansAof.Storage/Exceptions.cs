namespace OrleansAof.Storage;

/// <summary>Base class of every error the storage engine reports on purpose.</summary>
public abstract class AppendLogException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected AppendLogException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Whether the same call may succeed later without any change by the caller (after <see cref="LogBackpressureException.RetryAfter"/>, for example).</summary>
    public virtual bool IsRetryable => false;
}

/// <summary>A record is larger than <see cref="PartitionLogOptions.MaxRecordBytes"/>. Nothing was written; split the record or raise the limit.</summary>
public sealed class RecordTooLargeException(int size, int maximum)
    : AppendLogException($"The record has {size} bytes; the maximum is {maximum} ({nameof(PartitionLogOptions)}.{nameof(PartitionLogOptions.MaxRecordBytes)}).")
{
    /// <summary>The option that sets <see cref="Maximum"/>: <c>MaxRecordBytes</c>.</summary>
    public string OptionName { get; } = nameof(PartitionLogOptions.MaxRecordBytes);

    /// <summary>The size of the rejected record.</summary>
    public int Size { get; } = size;

    /// <summary>The configured maximum.</summary>
    public int Maximum { get; } = maximum;
}

/// <summary>An append batch holds no record. Nothing was written.</summary>
public sealed class EmptyBatchException()
    : AppendLogException("An append batch must hold at least one record.");

/// <summary>A read names an invalid range: a negative id, a reversed range or a non-positive limit. Nothing was read.</summary>
public sealed class InvalidRangeException(string message) : AppendLogException(message);

/// <summary>
/// A read starts past the tail: <see cref="FromId"/> is greater than the next id to be written.
/// Reading exactly at the next id is allowed and returns nothing (that is how a tail is polled).
/// </summary>
public sealed class ReadBeyondTailException(long fromId, long nextId)
    : AppendLogException($"Id {fromId} is beyond the tail; the next id to be written is {nextId}.")
{
    /// <summary>The requested id.</summary>
    public long FromId { get; } = fromId;

    /// <summary>The next id the partition will assign.</summary>
    public long NextId { get; } = nextId;
}

/// <summary>
/// The partition does not exist and <see cref="PartitionLogOptions.CreateIfMissing"/> is off: its folder is absent, no
/// id bound is recorded for it and the archive holds nothing of it. Nothing was created.
/// </summary>
public sealed class PartitionNotFoundException(string log, string partition)
    : AppendLogException($"Partition {log}/{partition} does not exist: nothing was ever appended to it. Nothing was created.")
{
    /// <summary>The log.</summary>
    public string Log { get; } = log;

    /// <summary>The partition.</summary>
    public string Partition { get; } = partition;
}

/// <summary>A read starts below the partition's first id: the records were removed by retention. Resume from <see cref="FirstId"/>.</summary>
public sealed class RecordTrimmedException(long fromId, long firstId)
    : AppendLogException($"Id {fromId} was removed by retention; the first id still held is {firstId}.")
{
    /// <summary>The requested id.</summary>
    public long FromId { get; } = fromId;

    /// <summary>The first id the partition still holds.</summary>
    public long FirstId { get; } = firstId;
}

/// <summary>
/// A read starts in ids that are lost: no local file and no archived object holds them (a file deleted from outside, or a
/// lost volume whose loss an operator accepted; see <see cref="SegmentStatus.Missing"/>). Resume from <see cref="NextId"/>.
/// A read that reaches such ids after returning records stops before them.
/// </summary>
public sealed class RecordsMissingException(long fromId, long firstMissingId, long lastMissingId)
    : AppendLogException($"Ids {firstMissingId}..{lastMissingId} are lost: no local file and no archived object holds them (see 'aof verify'). Reading continues at {lastMissingId + 1}.")
{
    /// <summary>The requested id.</summary>
    public long FromId { get; } = fromId;

    /// <summary>The first lost id of the range <see cref="FromId"/> lies in.</summary>
    public long FirstMissingId { get; } = firstMissingId;

    /// <summary>The last lost id of that range.</summary>
    public long LastMissingId { get; } = lastMissingId;

    /// <summary>The id to continue reading from.</summary>
    public long NextId => LastMissingId + 1;
}

/// <summary>
/// A log or partition name is not valid: empty, longer than 128 characters, <c>.</c> or <c>..</c>, or with characters
/// outside <c>[A-Za-z0-9._-]</c> (the same rule for partition directories and archive keys). Nothing was done.
/// </summary>
public sealed class InvalidPartitionNameException(string name, string reason)
    : AppendLogException($"{PartitionNames.Quote(name)} is not a valid log or partition name: {reason}.")
{
    /// <summary>The rejected name, cut to 128 characters.</summary>
    public string Name { get; } = PartitionNames.Shorten(name);

    /// <summary>Why it is not valid.</summary>
    public string Reason { get; } = reason;
}

/// <summary>An option has an invalid value. The message starts with the option's name.</summary>
public sealed class InvalidLogOptionsException(string optionName, string message)
    : AppendLogException($"{optionName} {message}")
{
    /// <summary>The option, as <c>Class.Property</c>.</summary>
    public string OptionName { get; } = optionName;

    /// <summary>The options class of <see cref="OptionName"/> (<c>PartitionLogOptions</c>, for example); empty when the name has no class.</summary>
    public string OptionsClass => OptionName.LastIndexOf('.') is var dot and > 0 ? OptionName[..dot] : "";

    /// <summary>The property of <see cref="OptionName"/> without its class (<c>MaxSegmentBytes</c>, for example).</summary>
    public string Property => OptionName[(OptionName.LastIndexOf('.') + 1)..];

    /// <summary>What is wrong with the value, without the option's name (the message is <see cref="OptionName"/> followed by it).</summary>
    public string Problem { get; } = message;
}

/// <summary>Another writer holds the partition directory (its lock file is taken). Close the other writer first.</summary>
public sealed class PartitionLockedException(string directory, Exception? inner)
    : AppendLogException($"The partition directory '{directory}' is locked by another writer.", inner)
{
    /// <summary>The locked directory.</summary>
    public string Directory { get; } = directory;
}

/// <summary>
/// The partition stopped after an I/O error (fail-stop) or found damage in its active segment. It refuses appends
/// until it is closed and reopened (recovered) or repaired by an operator. Appends that were in flight are not acknowledged.
/// </summary>
public sealed class PartitionFaultedException(string partition, string reason, Exception? inner = null)
    : AppendLogException($"Partition '{partition}' is faulted and refuses appends until it is reopened: {reason}", inner)
{
    /// <summary>Why the partition stopped.</summary>
    public string Reason { get; } = reason;
}

/// <summary>
/// A partition cannot open because ids it may have acknowledged are held by no local file and no archived object (its
/// volume was lost, for example): handing out ids again from the last one held would give new records the ids of lost
/// ones. Nothing was changed. An operator decides: restore the data, or accept the loss and continue after the bound
/// (<see cref="LostIdsPolicy.SkipPastBound"/>, <c>aof restore --skip-lost-ids</c>), which leaves an explicit gap.
/// </summary>
public sealed class PartitionDataLostException(string partition, long heldThrough, long bound)
    : AppendLogException($"Partition '{partition}' holds ids through {heldThrough} (local files and the archive), but ids through {bound} may have been acknowledged (its recorded id bound): ids {heldThrough + 1}..{bound} are lost and will not be handed out again. It stays closed until an operator restores the data or accepts the gap ('aof restore --skip-lost-ids').")
{
    /// <summary>The partition (<c>{log}/{partition}</c>).</summary>
    public string Partition { get; } = partition;

    /// <summary>The last id local files and the archive hold (-1 when none).</summary>
    public long HeldThrough { get; } = heldThrough;

    /// <summary>The recorded bound: no id above it was ever handed out.</summary>
    public long Bound { get; } = bound;
}

/// <summary>Why an append was refused by backpressure.</summary>
public enum BackpressureReason
{
    /// <summary>More than <see cref="PartitionLogOptions.MaxUnflushedBytes"/> are written but not yet flushed.</summary>
    UnflushedBytes,

    /// <summary>More sealed segments (or bytes) wait for archival than the configured limit.</summary>
    ArchiveBacklog,

    /// <summary>The partition's id reservation is used up and raising it in the <see cref="IIdBoundStore"/> failed or is under way.</summary>
    IdReservation,
}

/// <summary>A configured bound an append ran into.</summary>
/// <param name="OptionName">The option of <see cref="PartitionLogOptions"/> that sets the bound (for example <c>MaxUnflushedBytes</c>).</param>
/// <param name="Limit">The bound.</param>
/// <param name="Unit">What <see cref="Limit"/> counts: <c>bytes</c> or <c>segments</c>.</param>
public readonly record struct BackpressureBound(string OptionName, long Limit, string Unit);

/// <summary>The partition refuses appends for now to bound memory or backlog. Retry after <see cref="RetryAfter"/>; nothing was written.</summary>
/// <param name="reason">Which bound was hit.</param>
/// <param name="detail">What was reached, in words that name no option (the options are in <paramref name="bounds"/>).</param>
/// <param name="retryAfter">A suggested delay before retrying.</param>
/// <param name="bounds">The configured bounds that refused the append (none for <see cref="BackpressureReason.IdReservation"/>).</param>
public sealed class LogBackpressureException(BackpressureReason reason, string detail, TimeSpan retryAfter, params IReadOnlyList<BackpressureBound> bounds)
    : AppendLogException(FormattableString.Invariant($"Append refused by backpressure ({reason}): {detail}{DescribeBounds(bounds, nameof(PartitionLogOptions))} Retry after {retryAfter.TotalMilliseconds:0} ms."))
{
    /// <summary>Which bound was hit.</summary>
    public BackpressureReason Reason { get; } = reason;

    /// <summary>What was reached, in words that name no option.</summary>
    public string Detail { get; } = detail;

    /// <summary>The configured bounds that refused the append, with the names of their options.</summary>
    public IReadOnlyList<BackpressureBound> Bounds { get; } = bounds;

    /// <summary>
    /// " The bound is 100 bytes (Options.MaxX)." or " The bounds are ... and ...." for <paramref name="bounds"/>, naming each option
    /// as a property of <paramref name="optionsClass"/>; empty when there is none.
    /// </summary>
    public static string DescribeBounds(IReadOnlyList<BackpressureBound> bounds, string optionsClass)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        if (bounds.Count == 0)
        {
            return "";
        }

        var text = new System.Text.StringBuilder(bounds.Count == 1 ? " The bound is " : " The bounds are ");
        for (var i = 0; i < bounds.Count; i++)
        {
            text.Append(i == 0 ? "" : i == bounds.Count - 1 ? " and " : ", ")
                .Append(FormattableString.Invariant($"{bounds[i].Limit} {bounds[i].Unit} ({optionsClass}.{bounds[i].OptionName})"));
        }

        return text.Append('.').ToString();
    }

    /// <summary>A suggested delay before retrying.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <inheritdoc />
    public override bool IsRetryable => true;
}

/// <summary>An append carried an expected last id that is not the partition's last id. Nothing was written.</summary>
public sealed class ExpectedLastIdMismatchException(long expectedLastId, long actualLastId)
    : AppendLogException($"The append expected last id {expectedLastId} but the partition's last id is {actualLastId}.")
{
    /// <summary>The id the caller expected.</summary>
    public long ExpectedLastId { get; } = expectedLastId;

    /// <summary>The partition's actual last id (-1 when it is empty).</summary>
    public long ActualLastId { get; } = actualLastId;
}

/// <summary>Stored data failed its checksum. It is never returned as data; the segment is quarantined for an operator.</summary>
public sealed class SegmentCorruptedException(string path, long baseId, string detail)
    : AppendLogException($"Segment {baseId} ('{path}') is damaged: {detail}")
{
    /// <summary>The damaged file.</summary>
    public string Path { get; } = path;

    /// <summary>Base id of the damaged segment.</summary>
    public long BaseId { get; } = baseId;

    /// <summary>What is wrong.</summary>
    public string Detail { get; } = detail;
}

/// <summary>An archived object does not match the size or checksum recorded when it was stored. It is never returned as data.</summary>
public sealed class ArchiveIntegrityException(string objectKey, string detail)
    : AppendLogException($"Archived object '{objectKey}' failed its integrity check: {detail}")
{
    /// <summary>The object's key.</summary>
    public string ObjectKey { get; } = objectKey;
}

/// <summary>An append batch is too large to fit in one segment. Nothing was written; split the batch or raise <see cref="PartitionLogOptions.MaxSegmentBytes"/>.</summary>
public sealed class BatchTooLargeException(int records, long bytes, long maximum)
    : AppendLogException($"The batch of {records} records needs {bytes} bytes on disk; one segment holds at most {maximum} ({nameof(PartitionLogOptions)}.{nameof(PartitionLogOptions.MaxSegmentBytes)}).")
{
    /// <summary>The most bytes of records one segment holds.</summary>
    public long Maximum { get; } = maximum;

    /// <summary>The option that sets <see cref="Maximum"/>: <c>MaxSegmentBytes</c>.</summary>
    public string OptionName { get; } = nameof(PartitionLogOptions.MaxSegmentBytes);

    /// <summary>Records in the rejected batch.</summary>
    public int Records { get; } = records;

    /// <summary>Bytes the batch needs on disk, framing included.</summary>
    public long Bytes { get; } = bytes;
}

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

/// <summary>
/// An offline repair (<see cref="Offline.PartitionRepair"/>) was refused because the partition is not in a state the
/// repair applies to, or because it would lose data it must not. Nothing was changed; the message says why and what to do.
/// </summary>
public sealed class RepairRefusedException(string message) : AppendLogException(message);
