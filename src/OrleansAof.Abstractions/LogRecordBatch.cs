namespace OrleansAof;

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
