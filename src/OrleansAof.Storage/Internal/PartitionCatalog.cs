using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using OrleansAof.Storage.Catalog;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// The partition's rows of sealed, archived, evicted, quarantined and missing segments (in memory) and the SQLite
/// <see cref="SegmentCatalog"/> that persists them, behind this type's own lock (a leaf: nothing else is taken under it).
/// Keeps the archive backlog and the first id, both readable without a lock. The catalog is a cache of the segment
/// files: a failed update is logged and reconciled by the next open.
/// </summary>
internal sealed partial class PartitionCatalog : IDisposable
{
    /// <summary>Catalog metadata key of the first id still held.</summary>
    public const string FirstIdKey = "first_id";

    private readonly Lock _lock = new();
    private readonly Dictionary<long, SegmentInfo> _rows = [];
    private readonly SegmentCatalog _db;
    private readonly bool _archiveConfigured;
    private readonly ILogger _logger;
    private readonly string _partition;
    private volatile Backlog _backlog = new(0, 0);
    private long _firstId;

    public PartitionCatalog(SegmentCatalog db, IEnumerable<SegmentInfo> rows, long firstId, bool archiveConfigured, ILogger logger, string partition)
    {
        _db = db;
        _archiveConfigured = archiveConfigured;
        _logger = logger;
        _partition = partition;
        _firstId = firstId;
        lock (_lock)
        {
            foreach (var r in rows)
            {
                if (r.Status != SegmentStatus.Active)
                {
                    _rows[r.BaseId] = r;
                }
            }

            RecomputeBacklogLocked();
        }
    }

    /// <summary>Sealed segments (and their bytes) waiting for archival; zero without an archive. Lock-free.</summary>
    public (int Segments, long Bytes) ArchiveBacklog
    {
        get
        {
            var b = _backlog;
            return (b.Segments, b.Bytes);
        }
    }

    /// <summary>The first id still held (moved up by retention). Lock-free.</summary>
    public long FirstId => Volatile.Read(ref _firstId);

    /// <summary>Moves the first id up and records it durably.</summary>
    public void SetFirstId(long firstId)
    {
        lock (_lock)
        {
            Volatile.Write(ref _firstId, firstId);
            TryCatalog(c => c.SetMeta(FirstIdKey, firstId.ToString(CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>Records a status change of a sealed segment in memory and in the catalog; returns <paramref name="row"/>.</summary>
    public SegmentInfo Update(SegmentInfo row)
    {
        lock (_lock)
        {
            _rows[row.BaseId] = row;
            TryCatalog(c => c.Upsert(row));
            RecomputeBacklogLocked();
            return row;
        }
    }

    /// <summary>Records the active segment's row in the catalog (it is not kept in memory: the writer owns it).</summary>
    public void UpsertActive(SegmentInfo row)
    {
        lock (_lock)
        {
            TryCatalog(c => c.Upsert(row));
        }
    }

    /// <summary>Forgets the row of <paramref name="baseId"/> (retention).</summary>
    public void Remove(long baseId)
    {
        lock (_lock)
        {
            _rows.Remove(baseId);
            TryCatalog(c => c.Remove(baseId));
            RecomputeBacklogLocked();
        }
    }

    /// <summary>Removes catalog metadata keys (best effort).</summary>
    public void RemoveMeta(string key1, string key2)
    {
        lock (_lock)
        {
            TryCatalog(c =>
            {
                c.RemoveMeta(key1);
                c.RemoveMeta(key2);
            });
        }
    }

    public bool TryGet(long baseId, out SegmentInfo row)
    {
        lock (_lock)
        {
            return _rows.TryGetValue(baseId, out row!);
        }
    }

    /// <summary>All rows, in no particular order.</summary>
    public List<SegmentInfo> Snapshot()
    {
        lock (_lock)
        {
            return [.. _rows.Values];
        }
    }

    /// <summary>All rows in id order.</summary>
    public List<SegmentInfo> SnapshotOrdered()
    {
        var rows = Snapshot();
        rows.Sort(static (a, b) => a.BaseId.CompareTo(b.BaseId));
        return rows;
    }

    /// <summary>The segment holding <paramref name="id"/> when it lives only in the archive: its row.</summary>
    public SegmentInfo? RemoteRow(long id)
    {
        lock (_lock)
        {
            foreach (var r in _rows.Values)
            {
                if (r.Status == SegmentStatus.LocalEvicted && id >= r.BaseId && id <= r.LastId)
                {
                    return r;
                }
            }

            return null;
        }
    }

    public void Dispose() => _db.Dispose();

    private void RecomputeBacklogLocked()
    {
        var count = 0;
        long bytes = 0;
        if (_archiveConfigured)
        {
            foreach (var r in _rows.Values)
            {
                if (r.Status is SegmentStatus.Sealed or SegmentStatus.Archiving)
                {
                    count++;
                    bytes += r.SizeBytes;
                }
            }
        }

        _backlog = new Backlog(count, bytes);
    }

    private void TryCatalog(Action<SegmentCatalog> update)
    {
        try
        {
            update(_db);
        }
        catch (SqliteException e)
        {
            // The catalog is a cache of the segment files; the next open reconciles it.
            LogCatalogRebuilt(_logger, _partition, "not updated (" + e.Message + ")");
        }
    }

    [LoggerMessage(4, LogLevel.Warning, "Partition {Partition}: the segment catalog was {Problem}; it was rebuilt from the segment files")]
    internal static partial void LogCatalogRebuilt(ILogger logger, string partition, string problem);

    private sealed record Backlog(int Segments, long Bytes);
}
