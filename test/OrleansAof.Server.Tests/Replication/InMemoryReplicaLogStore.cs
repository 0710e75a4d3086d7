using OrleansAof.Server.Replication;

namespace OrleansAof.Server.Tests.Replication;

/// <summary>
/// A replica log in memory that keeps, across a simulated crash, only what was flushed (plus, like a real disk, possibly
/// a prefix of appends written since the last flush). A truncation is durable when it returns, as in the engine's store
/// (<see cref="EngineReplicaLogStore"/>; both run the same <c>ReplicaLogStoreContract</c>).
/// </summary>
internal sealed class InMemoryReplicaLogStore : IReplicaLogStore
{
    private readonly List<ReplicaEntry> _log;
    private int _durableCount;

    public InMemoryReplicaLogStore()
        : this([], ReplicaDurableState.Fresh)
    {
    }

    private InMemoryReplicaLogStore(List<ReplicaEntry> log, ReplicaDurableState state)
    {
        _log = log;
        _durableCount = log.Count;
        State = state;
    }

    public LogPosition End => _log.Count == 0 ? LogPosition.Start : _log[^1].Position;

    public LogPosition DurableEnd => _durableCount == 0 ? LogPosition.Start : _log[_durableCount - 1].Position;

    public ReplicaDurableState State { get; private set; }

    public int Count => _log.Count;

    public bool Contains(LogPosition position) => position == LogPosition.Start || IndexOf(position) >= 0;

    public LogPosition Floor(LogPosition position)
    {
        var index = FirstAfter(position) - 1;
        return index < 0 ? LogPosition.Start : _log[index].Position;
    }

    public LogPosition Before(LogPosition position)
    {
        var index = IndexOf(position);
        if (index < 0)
        {
            throw new InvalidOperationException($"{position} is not in the log.");
        }

        return index == 0 ? LogPosition.Start : _log[index - 1].Position;
    }

    public IReadOnlyList<ReplicaEntry> ReadAfter(LogPosition after, int max)
    {
        var from = FirstAfter(after);
        var count = Math.Min(max, _log.Count - from);
        return count <= 0 ? [] : _log.GetRange(from, count);
    }

    public void Append(ReplicaEntry entry)
    {
        if (entry.Position <= End)
        {
            throw new InvalidOperationException($"Append at {entry.Position} is not after the end {End}.");
        }

        _log.Add(entry);
    }

    public void TruncateAfter(LogPosition position)
    {
        var keep = FirstAfter(position);
        if (keep >= _log.Count)
        {
            return;
        }

        // Durable at once: what is kept becomes durable with the cut (the engine fsyncs the segment at the cut).
        _log.RemoveRange(keep, _log.Count - keep);
        _durableCount = keep;
    }

    /// <summary>The rollover rule for tests of the leader; by default none (no segments in memory: the leader rolls over only when asked).</summary>
    public Func<int, SegmentRollover>? Rollover { get; set; }

    public SegmentRollover RolloverFor(int payloadLength) => Rollover?.Invoke(payloadLength) ?? SegmentRollover.None;

    /// <summary>No segments in memory: catch-up is by entries only.</summary>
    public SegmentTransfer? ExportSegmentAfter(LogPosition after) => null;

    public void InstallSegment(SegmentTransfer segment) => throw new NotSupportedException("The in-memory store has no segments.");

    public void Flush() => _durableCount = _log.Count;

    public void WriteState(ReplicaDurableState state) => State = state;

    /// <summary>The record at <paramref name="id"/>, or null.</summary>
    public ReplicaEntry? RecordAt(long id)
    {
        var lo = 0;
        var hi = _log.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_log[mid].Position.Id < id)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        // Epoch starts share the id of the record before them: scan the entries with this id.
        for (var i = lo; i < _log.Count && _log[i].Position.Id == id; i++)
        {
            if (_log[i].Kind == ReplicaEntryKind.Record)
            {
                return _log[i];
            }
        }

        return null;
    }

    /// <summary>
    /// What survives a crash: the durable log (truncations included), plus the first <paramref name="keepUnflushed"/>
    /// appends written since (a disk may persist writes nobody fsynced).
    /// </summary>
    public InMemoryReplicaLogStore Crash(int keepUnflushed)
        => new(_log.GetRange(0, _durableCount + Math.Min(keepUnflushed, _log.Count - _durableCount)), State);

    private int IndexOf(LogPosition position)
    {
        var index = FirstAfter(position) - 1;
        return index >= 0 && _log[index].Position == position ? index : -1;
    }

    /// <summary>The index of the first entry whose position is greater than <paramref name="position"/>.</summary>
    private int FirstAfter(LogPosition position)
    {
        var lo = 0;
        var hi = _log.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_log[mid].Position <= position)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}

/// <summary>The ownership table's replication record with compare-and-swap, in memory.</summary>
internal sealed class InMemoryReplicationConfigurationStore(ReplicationConfiguration initial) : IReplicationConfigurationStore
{
    private ReplicationConfiguration _current = initial;

    public ReplicationConfiguration Read() => _current;

    public bool TryCompareAndSwap(long expectedEpoch, ReplicationConfiguration next)
    {
        if (_current.Epoch != expectedEpoch || next.Epoch <= expectedEpoch)
        {
            return false;
        }

        _current = next;
        return true;
    }
}
