using Orleans.Concurrency;

namespace OrleansAof;

/// <summary>
/// One partition of a log, keyed <c>{log}/{partition}</c> (see <see cref="PartitionKey"/>). It activates only on its
/// owner silo; when the owner is down every call fails fast with <see cref="PartitionUnavailableException"/>.
/// Appends and reads interleave, so concurrent appends share one group commit.
/// </summary>
/// <remarks>
/// Errors are the typed exceptions of this assembly, all derived from <see cref="AppendLogException"/>: bad input
/// changes nothing; <see cref="AppendLogException.IsRetryable"/> says whether the same call may succeed later.
/// The control plane of the same partition (archival runs, handover) is <see cref="IPartitionAdminGrain"/>: same key,
/// same activation.
/// </remarks>
[Alias("aof.IPartitionGrain")]
public interface IPartitionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Appends one record. Under <c>Sync</c> the call returns once the record is durable (group commit); under other
    /// policies once it is written to the OS (see <see cref="AppendAck.IsDurable"/>).
    /// </summary>
    /// <param name="payload">The record's bytes.</param>
    /// <param name="expectedLastId">When set, append only if the partition's last id is this value (-1 for an empty partition); otherwise <see cref="ExpectedLastIdMismatchException"/>.</param>
    /// <param name="stamp">When set, the append is idempotent: a retry with the same stamp returns the original ids.</param>
    /// <exception cref="RecordTooLargeException">The payload is too large.</exception>
    /// <exception cref="ExpectedLastIdMismatchException">The last id differs from <paramref name="expectedLastId"/>.</exception>
    /// <exception cref="LogBackpressureException">Too many bytes are unflushed; retry later.</exception>
    /// <exception cref="PartitionFaultedException">The partition stopped after an I/O error.</exception>
    [AlwaysInterleave]
    [Alias("Append")]
    Task<AppendAck> AppendAsync(byte[] payload, long? expectedLastId = null, ProducerStamp? stamp = null);

    /// <summary>Appends records with consecutive ids in one write; atomic under recovery (all or none).</summary>
    /// <exception cref="EmptyBatchException">The batch is empty.</exception>
    /// <exception cref="BatchTooLargeException">The batch would not fit in one segment.</exception>
    /// <inheritdoc cref="AppendAsync"/>
    [AlwaysInterleave]
    [Alias("AppendBatch")]
    Task<AppendAck> AppendBatchAsync(RecordPayloads payloads, long? expectedLastId = null, ProducerStamp? stamp = null);

    /// <summary>
    /// Reads records from <paramref name="fromId"/> upward: at most <paramref name="maxRecords"/> records and about
    /// <paramref name="maxBytes"/> payload bytes. Only durable records unless <paramref name="includeUndurable"/> is set.
    /// Reading at the next id returns an empty batch.
    /// </summary>
    /// <exception cref="InvalidRangeException">A negative id or a non-positive limit.</exception>
    /// <exception cref="ReadBeyondTailException"><paramref name="fromId"/> is past the next id.</exception>
    /// <exception cref="RecordTrimmedException"><paramref name="fromId"/> is below the first id still held.</exception>
    /// <exception cref="SegmentCorruptedException">Stored data failed its checksum.</exception>
    [AlwaysInterleave]
    [Alias("Read")]
    Task<LogRecordBatch> ReadAsync(long fromId, int maxRecords = 1000, long maxBytes = 4 * 1024 * 1024, bool includeUndurable = false);

    /// <summary>
    /// Reads records downward from <paramref name="fromId"/> (inclusive), newest first. An id past the visible tail but not
    /// past the next id starts at the newest visible record; an id past the next id is refused like <see cref="ReadAsync"/>
    /// refuses it.
    /// </summary>
    /// <inheritdoc cref="ReadAsync"/>
    [AlwaysInterleave]
    [Alias("ReadBackward")]
    Task<LogRecordBatch> ReadBackwardAsync(long fromId, int maxRecords = 1000, long maxBytes = 4 * 1024 * 1024, bool includeUndurable = false);

    /// <summary>Reads records from the first whose timestamp is at or after <paramref name="time"/>.</summary>
    /// <inheritdoc cref="ReadAsync"/>
    [AlwaysInterleave]
    [Alias("ReadFromTimestamp")]
    Task<LogRecordBatch> ReadFromTimestampAsync(DateTimeOffset time, int maxRecords = 1000, long maxBytes = 4 * 1024 * 1024, bool includeUndurable = false);

    /// <summary>The first id whose timestamp is at or after <paramref name="time"/>, or the next id when there is none.</summary>
    [AlwaysInterleave]
    [Alias("FindIdAtTimestamp")]
    Task<long> FindIdAtTimestampAsync(DateTimeOffset time);

    /// <summary>A snapshot of the partition and its segments.</summary>
    [AlwaysInterleave]
    [Alias("GetInfo")]
    Task<PartitionStatus> GetInfoAsync();

    /// <summary>Flush statistics since the partition was opened.</summary>
    [AlwaysInterleave]
    [Alias("GetFlushStatistics")]
    Task<FlushStatistics> GetFlushStatisticsAsync();

    /// <summary>Makes everything appended so far durable; returns the durable id.</summary>
    [AlwaysInterleave]
    [Alias("Flush")]
    Task<long> FlushAsync();

    /// <summary>Seals the active segment and starts the next; returns the sealed segment, or null when the active one was empty.</summary>
    [AlwaysInterleave]
    [Alias("Seal")]
    Task<SegmentSummary?> SealAsync();

    /// <summary>Switches the flush policy; the switch is a flush boundary. The policy holds until the partition is deactivated.</summary>
    /// <exception cref="InvalidLogOptionsException">The policy is not valid.</exception>
    [AlwaysInterleave]
    [Alias("SetFlushPolicy")]
    Task SetFlushPolicyAsync(LogFlushPolicy policy);

    /// <summary>
    /// Waits until the durable id is greater than <paramref name="knownDurableId"/> or <paramref name="maxWait"/> passes,
    /// and returns the durable id (a long poll, for tails). <paramref name="maxWait"/> is capped below the call timeout.
    /// </summary>
    [AlwaysInterleave]
    [Alias("WaitForTail")]
    Task<long> WaitForTailAsync(long knownDurableId, TimeSpan maxWait);

    /// <summary>
    /// Registers <paramref name="listener"/> for direct tail notifications from this activation and returns the current
    /// tail. Registrations are soft state: they end when the partition deactivates, so listeners renew them periodically
    /// (the subscriber base does so on its re-check timer).
    /// </summary>
    [AlwaysInterleave]
    [Alias("RegisterTailListener")]
    Task<TailAdvanced> RegisterTailListenerAsync(ITailListener listener);

    /// <summary>Removes a listener registered with <see cref="RegisterTailListenerAsync"/>.</summary>
    [AlwaysInterleave]
    [Alias("UnregisterTailListener")]
    Task UnregisterTailListenerAsync(ITailListener listener);
}
