namespace OrleansAof;

/// <summary>The outcome of an append: the ids given to its records and whether they are durable yet.</summary>
/// <param name="FirstId">Id of the first record appended.</param>
/// <param name="LastId">Id of the last record appended.</param>
/// <param name="IsDurable">Whether the records were fsynced before the call returned (always under <c>Sync</c>).</param>
/// <param name="IsDuplicate">Whether this was a retry of a batch the partition had already appended with the same <see cref="ProducerStamp"/>: nothing was written and the original ids are returned.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.AppendAck")]
public readonly record struct AppendAck(
    [property: Id(0)] long FirstId,
    [property: Id(1)] long LastId,
    [property: Id(2)] bool IsDurable,
    [property: Id(3)] bool IsDuplicate)
{
    /// <summary>How many records were appended.</summary>
    public long Count => LastId - FirstId + 1;
}

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

/// <summary>
/// Payloads of an append batch laid back to back in one buffer: record <c>i</c> is <see cref="Lengths"/>[i] bytes
/// following record <c>i - 1</c>. The buffer crosses the wire as one array and is handed to the engine without copies.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("aof.RecordPayloads")]
public sealed class RecordPayloads
{
    /// <summary>Creates a batch over <paramref name="buffer"/>; the lengths must add up to at most its size.</summary>
    /// <exception cref="ArgumentException">The lengths are negative or exceed the buffer.</exception>
    public RecordPayloads(byte[] buffer, int[] lengths)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(lengths);
        long total = 0;
        foreach (var length in lengths)
        {
            if (length < 0)
            {
                throw new ArgumentException("A record length cannot be negative.", nameof(lengths));
            }

            total += length;
        }

        if (total > buffer.Length)
        {
            throw new ArgumentException($"The lengths add up to {total} bytes but the buffer holds {buffer.Length}.", nameof(lengths));
        }

        Buffer = buffer;
        Lengths = lengths;
    }

    /// <summary>The payload bytes, back to back.</summary>
    [Id(0)]
    public byte[] Buffer { get; }

    /// <summary>The length of each record's payload, in order.</summary>
    [Id(1)]
    public int[] Lengths { get; }

    /// <summary>Number of records.</summary>
    public int Count => Lengths.Length;

    /// <summary>Copies <paramref name="payloads"/> into one buffer.</summary>
    public static RecordPayloads From(IReadOnlyList<ReadOnlyMemory<byte>> payloads)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        long total = 0;
        for (var i = 0; i < payloads.Count; i++)
        {
            total += payloads[i].Length;
        }

        var buffer = new byte[total];
        var lengths = new int[payloads.Count];
        var offset = 0;
        for (var i = 0; i < payloads.Count; i++)
        {
            payloads[i].Span.CopyTo(buffer.AsSpan(offset));
            lengths[i] = payloads[i].Length;
            offset += lengths[i];
        }

        return new RecordPayloads(buffer, lengths);
    }

    /// <summary>Copies <paramref name="payloads"/> into one buffer.</summary>
    public static RecordPayloads From(params byte[][] payloads)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        var list = new ReadOnlyMemory<byte>[payloads.Length];
        for (var i = 0; i < payloads.Length; i++)
        {
            list[i] = payloads[i];
        }

        return From(list);
    }

    /// <summary>The payloads as slices of <see cref="Buffer"/> (no copies).</summary>
    public ReadOnlyMemory<byte>[] Slices()
    {
        var slices = new ReadOnlyMemory<byte>[Lengths.Length];
        var offset = 0;
        for (var i = 0; i < Lengths.Length; i++)
        {
            slices[i] = new ReadOnlyMemory<byte>(Buffer, offset, Lengths[i]);
            offset += Lengths[i];
        }

        return slices;
    }
}

/// <summary>Where one record of a <see cref="LogRecordBatch"/> lies in its buffer.</summary>
/// <param name="Id">Record id.</param>
/// <param name="TimestampMicros">Append time, microseconds since the Unix epoch.</param>
/// <param name="Offset">Offset of the payload in <see cref="LogRecordBatch.Buffer"/>.</param>
/// <param name="Length">Payload length.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.LogRecordEntry")]
public readonly record struct LogRecordEntry(
    [property: Id(0)] long Id,
    [property: Id(1)] long TimestampMicros,
    [property: Id(2)] int Offset,
    [property: Id(3)] int Length);

/// <summary>One record: its id, append time and payload.</summary>
/// <param name="Id">Record id.</param>
/// <param name="TimestampMicros">Append time, microseconds since the Unix epoch (non-decreasing within a partition).</param>
/// <param name="Payload">The payload (a slice of the batch buffer it was read with).</param>
public readonly record struct LogRecord(long Id, long TimestampMicros, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The append time.</summary>
    public DateTimeOffset Timestamp => DateTimeOffset.UnixEpoch.AddTicks(TimestampMicros * 10);
}

/// <summary>
/// Records returned by a read, as they cross the wire: every payload back to back in one buffer, described by
/// <see cref="Entries"/>.
/// </summary>
/// <remarks>
/// It stays apart from the engine's <c>OrleansAof.Storage.RecordBatch</c> because clients must not depend on the engine
/// and the engine must not depend on Orleans serialization; the partition grain passes the engine's buffer on as
/// <see cref="Buffer"/> and copies only the entries, so the payloads are never copied between the two.
/// </remarks>
[GenerateSerializer]
[Immutable]
[Alias("aof.LogRecordBatch")]
public sealed class LogRecordBatch
{
    /// <summary>Creates a batch.</summary>
    public LogRecordBatch(byte[] buffer, LogRecordEntry[] entries, long nextId)
    {
        Buffer = buffer;
        Entries = entries;
        NextId = nextId;
    }

    /// <summary>The payload bytes of every record, back to back.</summary>
    [Id(0)]
    public byte[] Buffer { get; }

    /// <summary>One entry per record, in read order.</summary>
    [Id(1)]
    public LogRecordEntry[] Entries { get; }

    /// <summary>For a forward read, the id to continue from; for a backward read, the id below the last record returned (-1 at the start of the log).</summary>
    [Id(2)]
    public long NextId { get; }

    /// <summary>Number of records.</summary>
    public int Count => Entries.Length;

    /// <summary>The record at <paramref name="index"/>.</summary>
    public LogRecord this[int index]
    {
        get
        {
            var e = Entries[index];
            return new LogRecord(e.Id, e.TimestampMicros, new ReadOnlyMemory<byte>(Buffer, e.Offset, e.Length));
        }
    }

    /// <summary>The records in order.</summary>
    public IEnumerable<LogRecord> Records
    {
        get
        {
            for (var i = 0; i < Entries.Length; i++)
            {
                yield return this[i];
            }
        }
    }
}

/// <summary>When appends become durable (see the README's durability contract).</summary>
public enum LogFlushPolicyKind
{
    /// <summary>Acknowledged once fsynced; concurrent appends share one fsync (group commit).</summary>
    Sync,

    /// <summary>Acknowledged when written to the OS; fsync after every N records.</summary>
    Batched,

    /// <summary>Acknowledged when written to the OS; fsync every interval.</summary>
    Periodic,

    /// <summary>Acknowledged when written to the OS; fsync at N records or after the interval, whichever comes first.</summary>
    BatchedOrPeriodic,

    /// <summary>Acknowledged when written to the OS; fsync only at seal or on an explicit flush.</summary>
    Async,
}

/// <summary>A flush policy as it crosses the wire. Its text form is the engine's: <c>Sync</c>, <c>Batched:1000</c>, <c>Periodic:00:00:00.010</c>, <c>BatchedOrPeriodic:1000:00:00:00.010</c>, <c>Async</c>.</summary>
/// <param name="Kind">The kind of policy.</param>
/// <param name="Records">For batched kinds: the record count that triggers a flush.</param>
/// <param name="Interval">For periodic kinds: the flush interval.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.LogFlushPolicy")]
public sealed record LogFlushPolicy(
    [property: Id(0)] LogFlushPolicyKind Kind,
    [property: Id(1)] int Records,
    [property: Id(2)] TimeSpan Interval)
{
    /// <summary>Acknowledge after fsync, with group commit.</summary>
    public static LogFlushPolicy Sync { get; } = new(LogFlushPolicyKind.Sync, 0, TimeSpan.Zero);

    /// <summary>Fsync only at seal or on an explicit flush.</summary>
    public static LogFlushPolicy Async { get; } = new(LogFlushPolicyKind.Async, 0, TimeSpan.Zero);

    /// <summary>Fsync after every <paramref name="records"/> records.</summary>
    public static LogFlushPolicy Batched(int records) => new(LogFlushPolicyKind.Batched, records, TimeSpan.Zero);

    /// <summary>Fsync every <paramref name="interval"/>.</summary>
    public static LogFlushPolicy Periodic(TimeSpan interval) => new(LogFlushPolicyKind.Periodic, 0, interval);

    /// <summary>Fsync at <paramref name="records"/> records or after <paramref name="interval"/>.</summary>
    public static LogFlushPolicy BatchedOrPeriodic(int records, TimeSpan interval) => new(LogFlushPolicyKind.BatchedOrPeriodic, records, interval);
}

/// <summary>A segment of a partition, as reported by <see cref="IPartitionGrain.GetInfoAsync"/>.</summary>
/// <param name="BaseId">Id of its first record.</param>
/// <param name="LastId">Id of its last record (<paramref name="BaseId"/> - 1 when empty).</param>
/// <param name="RecordCount">Records held.</param>
/// <param name="Status">Lifecycle status (<c>Active</c>, <c>Sealed</c>, <c>Archiving</c>, <c>Archived</c>, <c>LocalEvicted</c>, <c>Quarantined</c>).</param>
/// <param name="SizeBytes">Size of the file (the active segment: bytes used so far).</param>
/// <param name="CreatedAt">When the segment was created.</param>
/// <param name="SealedAt">When it was sealed, if it is.</param>
/// <param name="WriterEpoch">Epoch of the writer that created it.</param>
/// <param name="FileName">File name.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.SegmentSummary")]
public sealed record SegmentSummary(
    [property: Id(0)] long BaseId,
    [property: Id(1)] long LastId,
    [property: Id(2)] long RecordCount,
    [property: Id(3)] string Status,
    [property: Id(4)] long SizeBytes,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] DateTimeOffset? SealedAt,
    [property: Id(7)] long WriterEpoch,
    [property: Id(8)] string FileName);

/// <summary>A snapshot of a partition.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="State">Open, Faulted or Closed.</param>
/// <param name="FaultReason">Why it is faulted, if it is.</param>
/// <param name="FirstId">First id still held.</param>
/// <param name="LastId">Last id written (-1 when empty).</param>
/// <param name="DurableId">Last id known durable (-1 when none).</param>
/// <param name="WriterEpoch">The writer epoch of this activation.</param>
/// <param name="FlushPolicy">The current flush policy.</param>
/// <param name="Silo">Name of the silo that serves the partition.</param>
/// <param name="Segments">Every segment, by base id.</param>
/// <param name="Archive">Archival: the backlog, its bounds and the last run's error (null from a silo that does not report it).</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.PartitionStatus")]
public sealed record PartitionStatus(
    [property: Id(0)] string Log,
    [property: Id(1)] string Partition,
    [property: Id(2)] string State,
    [property: Id(3)] string? FaultReason,
    [property: Id(4)] long FirstId,
    [property: Id(5)] long LastId,
    [property: Id(6)] long DurableId,
    [property: Id(7)] long WriterEpoch,
    [property: Id(8)] LogFlushPolicy FlushPolicy,
    [property: Id(9)] string Silo,
    [property: Id(10)] IReadOnlyList<SegmentSummary> Segments,
    [property: Id(11)] PartitionArchiveStatus? Archive = null)
{
    /// <summary>The next id an append will get.</summary>
    public long NextId => LastId + 1;
}

/// <summary>Flush statistics of a partition since it was opened (see the engine's FlushMetricsSnapshot).</summary>
/// <param name="TotalFlushes">Flushes attempted.</param>
/// <param name="FailedFlushes">Flushes that failed.</param>
/// <param name="RecordsFlushed">Records made durable.</param>
/// <param name="BytesFlushed">Bytes made durable.</param>
/// <param name="PendingRecords">Records written but not yet durable.</param>
/// <param name="LatencyP50">Median flush duration.</param>
/// <param name="LatencyP99">99th percentile flush duration.</param>
/// <param name="MaxRecordsPerFlush">Most records made durable by one flush.</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.FlushStatistics")]
public sealed record FlushStatistics(
    [property: Id(0)] long TotalFlushes,
    [property: Id(1)] long FailedFlushes,
    [property: Id(2)] long RecordsFlushed,
    [property: Id(3)] long BytesFlushed,
    [property: Id(4)] long PendingRecords,
    [property: Id(5)] TimeSpan LatencyP50,
    [property: Id(6)] TimeSpan LatencyP99,
    [property: Id(7)] long MaxRecordsPerFlush)
{
    /// <summary>Mean records per successful flush.</summary>
    public double RecordsPerFlush => TotalFlushes - FailedFlushes <= 0 ? 0 : (double)RecordsFlushed / (TotalFlushes - FailedFlushes);
}

/// <summary>
/// A tail notification: the partition's durable id advanced to <see cref="LastDurableId"/>. Notifications are
/// coalesced high-water marks, not records: a subscriber pulls the records from its own checkpoint.
/// </summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="LastDurableId">The partition's durable id when the notification was sent.</param>
/// <param name="Epoch">The writer epoch of the activation that sent it.</param>
/// <param name="Records">
/// Only on the direct push, and only when they are small: the records that became durable with this advance (from the
/// id after the previous push). A hint that saves a read: a subscriber whose checkpoint is the first of them may use them;
/// any other subscriber pulls. The stream never carries records.
/// </param>
[GenerateSerializer]
[Immutable]
[Alias("aof.TailAdvanced")]
public sealed record TailAdvanced(
    [property: Id(0)] string Log,
    [property: Id(1)] string Partition,
    [property: Id(2)] long LastDurableId,
    [property: Id(3)] long Epoch,
    [property: Id(4)] LogRecordBatch? Records = null)
{
    /// <summary>The partition's grain key.</summary>
    public string PartitionKey => string.Concat(Log, "/", Partition);
}

/// <summary>Well-known names of the tail notification stream.</summary>
public static class AppendLogStreams
{
    /// <summary>The stream namespace of tail notifications; the stream key is the partition key <c>{log}/{partition}</c>.</summary>
    public const string TailNamespace = "aof-tail";

    /// <summary>The default name of the stream provider that carries tail notifications.</summary>
    public const string DefaultProviderName = "AofTail";
}
