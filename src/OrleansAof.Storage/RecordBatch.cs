namespace OrleansAof.Storage;

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
