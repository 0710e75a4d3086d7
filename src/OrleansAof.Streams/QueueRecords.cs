using Orleans.Streams;

namespace OrleansAof.Streams;

/// <summary>
/// The records of one queue (one partition) that the pulling agent holds, by record id, shared by its receiver and its
/// cache. Cursors walk record ids one by one, so a record read back for a rewind (older than the rest) takes its place in
/// order; ids the log no longer has (retention, lost) are gaps cursors step over.
/// </summary>
internal sealed class QueueRecords
{
    private readonly SortedDictionary<long, AppendLogBatchContainer> _records = [];
    private readonly SortedDictionary<long, long> _gaps = [];
    private readonly SortedSet<long> _fills = [];
    private readonly HashSet<AppendLogCursor> _cursors = [];

    /// <summary>The next id the receiver reads live.</summary>
    public long LiveNext { get; set; } = -1;

    public int Count => _records.Count;

    public void Add(AppendLogBatchContainer record) => _records[record.RecordId] = record;

    public void AddGap(long fromId, long nextId) => _gaps[fromId] = nextId;

    public bool TryGet(long id, out AppendLogBatchContainer? record) => _records.TryGetValue(id, out record);

    /// <summary>Where a cursor at <paramref name="id"/> goes past a gap, or <paramref name="id"/>.</summary>
    public long SkipGap(long id)
    {
        foreach (var (from, next) in _gaps)
        {
            if (from > id)
            {
                break;
            }

            if (id < next)
            {
                return next;
            }
        }

        return id;
    }

    public long? Newest => _records.Count == 0 ? null : _records.Keys.Max();

    /// <summary>A cursor needs <paramref name="id"/>, which is older than what is held: the receiver reads it back.</summary>
    public void RequestFill(long id) => _fills.Add(id);

    /// <summary>The next range to read back: from the oldest requested id to the next id held (exclusive).</summary>
    public bool TryTakeFill(out long fromId, out long untilId)
    {
        while (_fills.Count > 0)
        {
            fromId = _fills.Min;
            _fills.Remove(fromId);
            fromId = SkipGap(fromId);
            if (_records.ContainsKey(fromId) || fromId >= LiveNext)
            {
                continue;
            }

            untilId = LiveNext;
            foreach (var id in _records.Keys)
            {
                if (id > fromId)
                {
                    untilId = id;
                    break;
                }
            }

            return true;
        }

        fromId = untilId = 0;
        return false;
    }

    /// <summary>
    /// For every stream with a cursor, the first held record of that stream after the cursor: handed to the pulling agent
    /// with a read-back, because the agent wakes only the streams of the records it is handed. A cursor that stopped at a
    /// record that had to be read back would otherwise sleep for good when the read-back range holds none of its stream's
    /// records while its next one is already held.
    /// </summary>
    public List<AppendLogBatchContainer> NextHeldPerStream()
    {
        var positions = new Dictionary<StreamId, long>();
        foreach (var cursor in _cursors)
        {
            if (cursor.Position is { } p)
            {
                positions[cursor.StreamId] = positions.TryGetValue(cursor.StreamId, out var q) ? Math.Min(p, q) : p;
            }
        }

        var next = new List<AppendLogBatchContainer>();
        foreach (var (id, record) in _records)
        {
            if (positions.Count == 0)
            {
                break;
            }

            if (positions.TryGetValue(record.StreamId, out var position) && id > position)
            {
                next.Add(record);
                positions.Remove(record.StreamId);
            }
        }

        return next;
    }

    public void Register(AppendLogCursor cursor) => _cursors.Add(cursor);

    public void Unregister(AppendLogCursor cursor) => _cursors.Remove(cursor);

    /// <summary>The oldest id some cursor still needs, or <see cref="LiveNext"/> when none does.</summary>
    public long OldestNeeded()
    {
        var oldest = LiveNext;
        foreach (var cursor in _cursors)
        {
            if (cursor.Position is { } p && p + 1 < oldest)
            {
                oldest = p + 1;
            }
        }

        return oldest;
    }

    /// <summary>Drops the oldest records every cursor has passed while more than <paramref name="keep"/> are held; far beyond it, drops them anyway (a cursor that needs them reads them back).</summary>
    public List<IBatchContainer>? Purge(int keep)
    {
        if (_records.Count <= keep)
        {
            return null;
        }

        var needed = OldestNeeded();
        List<IBatchContainer>? purged = null;
        while (_records.Count > keep)
        {
            var (id, record) = _records.First();
            if (id >= needed && _records.Count <= 4 * keep)
            {
                break;
            }

            _records.Remove(id);
            (purged ??= []).Add(record);
        }

        return purged;
    }
}
