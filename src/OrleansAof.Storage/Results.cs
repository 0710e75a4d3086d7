namespace OrleansAof.Storage;

/// <summary>The outcome of an append: the ids given to its records and whether they are durable yet.</summary>
/// <param name="FirstId">Id of the first record appended.</param>
/// <param name="LastId">Id of the last record appended (equal to <paramref name="FirstId"/> for a single record).</param>
/// <param name="IsDurable">Whether the records were fsynced before the call returned (always under <c>Sync</c>).</param>
/// <param name="IsDuplicate">Whether this was a retry of a batch already appended by the same producer and sequence number: nothing was written and the original ids are returned.</param>
public readonly record struct AppendResult(long FirstId, long LastId, bool IsDurable, bool IsDuplicate = false)
{
    /// <summary>How many records were appended.</summary>
    public long Count => LastId - FirstId + 1;
}

/// <summary>
/// Identifies an append for idempotence: a producer's id and the sequence number of the batch. A batch retried with the
/// same stamp is acknowledged with its original ids and never written twice (also across reopen and restart).
/// Sequence numbers of one producer must increase; gaps are allowed.
/// </summary>
/// <param name="ProducerId">A producer's id (the grain API accepts positive ids only).</param>
/// <param name="Sequence">The batch's sequence number within the producer (from 0).</param>
public readonly record struct ProducerStamp(long ProducerId, long Sequence);

/// <summary>One record read from a partition.</summary>
/// <param name="Id">The record's id.</param>
/// <param name="TimestampMicros">Append time, microseconds since the Unix epoch (non-decreasing within a partition).</param>
/// <param name="Payload">The payload bytes.</param>
public readonly record struct LogRecord(long Id, long TimestampMicros, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The append time.</summary>
    public DateTimeOffset Timestamp => Format.SegmentFormat.FromUnixMicroseconds(TimestampMicros);
}

/// <summary>Where one record of a <see cref="RecordBatch"/> lies in its buffer.</summary>
/// <param name="Id">Record id.</param>
/// <param name="TimestampMicros">Append time, microseconds since the Unix epoch.</param>
/// <param name="Offset">Offset of the payload in <see cref="RecordBatch.Buffer"/>.</param>
/// <param name="Length">Payload length.</param>
public readonly record struct RecordEntry(long Id, long TimestampMicros, int Offset, int Length);

/// <summary>
/// Records returned by a read: the payloads lie back to back in one buffer, described by <see cref="Entries"/>,
/// so a batch crosses a process boundary as two arrays.
/// </summary>
/// <remarks>
/// It stays apart from the wire type <c>OrleansAof.LogRecordBatch</c> because the engine must not depend on Orleans
/// serialization and clients must not depend on the engine; the grain hands the same <see cref="Buffer"/> on and copies
/// only the entries, so the payloads are never copied between the two.
/// </remarks>
public sealed class RecordBatch
{
    /// <summary>An empty batch.</summary>
    public static RecordBatch Empty { get; } = new([], [], -1);

    /// <summary>Creates a batch over <paramref name="buffer"/>.</summary>
    public RecordBatch(byte[] buffer, RecordEntry[] entries, long nextId)
    {
        Buffer = buffer;
        Entries = entries;
        NextId = nextId;
    }

    /// <summary>The payload bytes of every record, back to back.</summary>
    public byte[] Buffer { get; }

    /// <summary>One entry per record, in read order.</summary>
    public RecordEntry[] Entries { get; }

    /// <summary>For a forward read, the id to continue from; for a backward read, the id below the last record returned (-1 at the start of the log).</summary>
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

/// <summary>The lifecycle of a segment, as kept in the catalog.</summary>
public enum SegmentStatus
{
    /// <summary>The segment being appended to.</summary>
    Active = 0,

    /// <summary>Sealed (footer written), held locally, not yet archived.</summary>
    Sealed = 1,

    /// <summary>An upload to the archive is in progress.</summary>
    Archiving = 2,

    /// <summary>Stored and verified in the archive; the local file is still present.</summary>
    Archived = 3,

    /// <summary>Stored in the archive; the local file was removed by retention. Reads fetch it from the archive.</summary>
    LocalEvicted = 4,

    /// <summary>Damaged; moved aside for an operator. Its records are not served.</summary>
    Quarantined = 5,

    /// <summary>
    /// Ids the partition once held that no local file, quarantined file or archived object holds any more (a file deleted
    /// from outside, a lost volume): they are never handed out again and reads of them fail with
    /// <see cref="SegmentCorruptedException"/>. An operator finding, reported by <c>aof verify</c> and <c>aof inspect</c>.
    /// </summary>
    Missing = 6,
}

/// <summary>The state of a partition.</summary>
public enum PartitionState
{
    /// <summary>Accepting appends and reads.</summary>
    Open,

    /// <summary>Stopped after an I/O error or damage in its active segment; reads of intact data still work.</summary>
    Faulted,

    /// <summary>Closed.</summary>
    Closed,
}

/// <summary>A segment as described by the catalog.</summary>
/// <param name="BaseId">Id of its first record.</param>
/// <param name="LastId">Id of its last record (<paramref name="BaseId"/> - 1 when empty).</param>
/// <param name="RecordCount">Records held.</param>
/// <param name="Status">Lifecycle status.</param>
/// <param name="SizeBytes">Size of the file (for the active segment: bytes used so far).</param>
/// <param name="CreatedAt">When the segment was created.</param>
/// <param name="SealedAt">When it was sealed, if it is.</param>
/// <param name="FirstTimestampMicros">Timestamp of the first record (0 when empty).</param>
/// <param name="LastTimestampMicros">Timestamp of the last record (0 when empty).</param>
/// <param name="DataChecksum">Rolling checksum of the records (sealed segments).</param>
/// <param name="FileChecksum">CRC-32C of the whole sealed file, once computed for archival (0 before).</param>
/// <param name="WriterEpoch">Epoch of the writer that created it.</param>
/// <param name="FileName">File name (local and in the archive).</param>
/// <param name="ArchiveKey">Object key in the archive, once archived.</param>
/// <param name="ArchivedSizeBytes">Size of the stored object, once archived.</param>
/// <param name="ArchivedChecksum">CRC-32C of the stored object's bytes, once archived.</param>
public sealed record SegmentInfo(
    long BaseId,
    long LastId,
    long RecordCount,
    SegmentStatus Status,
    long SizeBytes,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SealedAt,
    long FirstTimestampMicros,
    long LastTimestampMicros,
    uint DataChecksum,
    uint FileChecksum,
    long WriterEpoch,
    string FileName,
    string? ArchiveKey,
    long ArchivedSizeBytes,
    uint ArchivedChecksum);

/// <summary>A snapshot of a partition.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="State">Open, faulted or closed.</param>
/// <param name="FaultReason">Why it is faulted, if it is.</param>
/// <param name="FirstId">First id still held (0 unless retention removed older records).</param>
/// <param name="LastId">Last id written (-1 when empty).</param>
/// <param name="DurableId">Last id known durable (-1 when none).</param>
/// <param name="WriterEpoch">This writer's epoch.</param>
/// <param name="FlushPolicy">The current flush policy.</param>
/// <param name="Segments">Every segment, by base id.</param>
public sealed record PartitionInfo(
    string Log,
    string Partition,
    PartitionState State,
    string? FaultReason,
    long FirstId,
    long LastId,
    long DurableId,
    long WriterEpoch,
    FlushPolicy FlushPolicy,
    IReadOnlyList<SegmentInfo> Segments)
{
    /// <summary>The next id an append will get.</summary>
    public long NextId => LastId + 1;
}
