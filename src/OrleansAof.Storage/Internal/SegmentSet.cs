using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// The segments of one partition that are on local disk: the sealed ones in id order and the active one. Lookups by id are
/// lock-free (both are published as whole values); changes take this set's own lock, which is a leaf (nothing else is taken
/// under it). Also bounds how many sealed segments keep a reader open (least recently used are closed).
/// </summary>
internal sealed class SegmentSet
{
    private readonly Lock _lock = new();
    private readonly Lock _readersLock = new();
    private readonly LinkedList<SealedSegment> _openReaders = new();
    private readonly IFileSystem _fs;
    private readonly bool _mapSealed;
    private readonly int _maxOpenReaders;
    private volatile SealedSegment[] _sealed;
    private volatile ActiveSegment _active;

    public SegmentSet(IFileSystem fs, PartitionLogOptions options, SealedSegment[] sealedSegments, ActiveSegment active)
    {
        _fs = fs;
        _mapSealed = options.MapSealedSegments;
        _maxOpenReaders = options.OpenSegmentReaders;
        _sealed = sealedSegments;
        _active = active;
    }

    /// <summary>The local sealed segments in id order (a snapshot: never changed in place).</summary>
    public SealedSegment[] Sealed => _sealed;

    /// <summary>The segment appends go to.</summary>
    public ActiveSegment Active => _active;

    /// <summary>Publishes a new active segment (after the previous one was added as sealed).</summary>
    public void SetActive(ActiveSegment active) => _active = active;

    /// <summary>Appends a freshly sealed segment (the newest).</summary>
    public void AddSealed(SealedSegment segment)
    {
        lock (_lock)
        {
            _sealed = [.. _sealed, segment];
        }
    }

    /// <summary>Whether <paramref name="segment"/> is still one of the local sealed segments.</summary>
    public bool Contains(SealedSegment segment) => Array.IndexOf(_sealed, segment) >= 0;

    /// <summary>Removes <paramref name="segment"/>; false when it was not in the set (removed by someone else).</summary>
    public bool Remove(SealedSegment segment)
    {
        lock (_lock)
        {
            if (Array.IndexOf(_sealed, segment) < 0)
            {
                return false;
            }

            _sealed = Array.FindAll(_sealed, x => !ReferenceEquals(x, segment));
            return true;
        }
    }

    /// <summary>Removes and returns the sealed segment starting at <paramref name="baseId"/>, if there is one.</summary>
    public SealedSegment? RemoveByBase(long baseId)
    {
        lock (_lock)
        {
            var found = Array.Find(_sealed, s => s.BaseId == baseId);
            if (found is not null)
            {
                _sealed = Array.FindAll(_sealed, s => s.BaseId != baseId);
            }

            return found;
        }
    }

    /// <summary>The local segment that holds <paramref name="id"/>: a sealed one, the active one, or neither.</summary>
    public (SealedSegment? Sealed, ActiveSegment? Active) Locate(long id)
    {
        var sealedSegments = _sealed;
        var active = _active;
        if (id >= active.BaseId)
        {
            return (null, active);
        }

        int lo = 0, hi = sealedSegments.Length - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) / 2);
            var s = sealedSegments[mid];
            if (id < s.BaseId)
            {
                hi = mid - 1;
            }
            else if (id > s.LastId)
            {
                lo = mid + 1;
            }
            else
            {
                return (s, null);
            }
        }

        // Sealed by a concurrent roll after the active segment was read: look again.
        var again = _sealed;
        if (!ReferenceEquals(again, sealedSegments))
        {
            foreach (var s in again)
            {
                if (id >= s.BaseId && id <= s.LastId)
                {
                    return (s, null);
                }
            }
        }

        return (null, null);
    }

    /// <summary>A read lease on <paramref name="segment"/> (mapped when the options allow it); counts it as recently used.</summary>
    public SealedSegment.Lease Acquire(SealedSegment segment)
    {
        var lease = segment.Acquire(_fs, _mapSealed);
        TrackOpenReader(segment);
        return lease;
    }

    /// <summary>Marks <paramref name="segment"/> most recently used and closes the readers beyond the bound.</summary>
    public void TrackOpenReader(SealedSegment segment)
    {
        lock (_readersLock)
        {
            var node = _openReaders.First;
            if (node is not null && ReferenceEquals(node.Value, segment))
            {
                return;
            }

            _openReaders.Remove(segment);
            _openReaders.AddFirst(segment);
            while (_openReaders.Count > _maxOpenReaders)
            {
                var last = _openReaders.Last!.Value;
                _openReaders.RemoveLast();
                last.Close();
            }
        }
    }

    /// <summary>Closes every file and unmaps the active segment (at the partition's close, after the writer closed).</summary>
    public void CloseAll()
    {
        // The writer is closed: nothing stores into the active segment's mapping any more.
        _active.DetachMapping()?.Dispose();
        _active.File.Dispose();
        foreach (var s in _sealed)
        {
            s.Close();
        }
    }
}
