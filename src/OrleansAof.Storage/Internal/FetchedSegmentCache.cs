using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// Segments that live only in the archive, fetched back into a cache folder for reads: downloaded once (always afresh,
/// verified) and shared by concurrent readers, least recently used removed beyond a byte budget
/// (<see cref="PartitionLogOptions.ArchiveReadCacheBytes"/> for a partition), never the newest and never one a read is
/// about to open (pins). The one archived-segment cache: the partition's reads (<c>cache/</c> of its folder) and
/// <see cref="Archive.ArchiveReader"/> both use it. Own lock, a leaf except for closing segment files.
/// </summary>
/// <remarks>
/// Over an archive that streams (<see cref="IStreamingSegmentArchive"/>), <see cref="ReadAsync(FetchRequest, long, long, RecordBatchBuilder, long, CancellationToken)"/>
/// is served while the segment streams in (<see cref="SegmentDownload"/>): records below the downloaded frontier at
/// once, later ones when the frontier passes them. A segment being downloaded is not in the cache yet: it is neither
/// counted against the byte budget nor evictable until it lands, verified; a download that fails leaves nothing behind
/// (its partial file is deleted, readers waiting on it get its error, the next read downloads afresh).
/// </remarks>
internal sealed class FetchedSegmentCache
{
    private const int MaxFetchAttempts = 3;

    private readonly Lock _lock = new();
    private readonly Dictionary<long, SealedSegment> _fetched = [];
    private readonly LinkedList<long> _fetchedOrder = new();
    private readonly Dictionary<long, Task<SealedSegment>> _fetching = [];
    private readonly Dictionary<long, SegmentDownload> _downloads = [];

    // Reads that were handed a fetched segment and have not opened it yet, by segment: the cache never evicts these.
    // A download's waiters are counted in _fetchWaiters and become pins when it lands in the cache.
    private readonly Dictionary<SealedSegment, int> _fetchPins = [];
    private readonly Dictionary<long, int> _fetchWaiters = [];
    private readonly ISegmentArchive? _archive;
    private readonly string _log;
    private readonly string _partition;
    private readonly string _directory;
    private readonly IFileSystem _fs;
    private readonly Func<SealedSegment, SealedSegment.Lease> _open;
    private readonly long _maxBytes;
    private readonly CancellationToken _shutdown;
    private bool _closed;

    /// <summary>The cache of a partition's reads: its <c>cache/</c> folder, leases through the partition's open-reader bound.</summary>
    public FetchedSegmentCache(ISegmentArchive? archive, PartitionDirectory dir, IFileSystem fs, SegmentSet segments, long maxBytes, CancellationToken shutdown)
        : this(archive, dir.Log, dir.Partition, dir.Cache, fs, segments.Acquire, maxBytes, shutdown)
    {
    }

    /// <summary>A cache of the archived segments of <paramref name="log"/>/<paramref name="partition"/> in <paramref name="directory"/>.</summary>
    /// <param name="archive">The archive (a fetch without one is a <see cref="SegmentCorruptedException"/>).</param>
    /// <param name="log">Log name.</param>
    /// <param name="partition">Partition name.</param>
    /// <param name="directory">The cache folder (created when missing).</param>
    /// <param name="fs">File access.</param>
    /// <param name="open">Opens a read lease on a fetched segment.</param>
    /// <param name="maxBytes">Bytes of fetched segments kept.</param>
    /// <param name="shutdown">Cancels downloads (they are shared by readers, so a reader's own token only stops its wait).</param>
    public FetchedSegmentCache(ISegmentArchive? archive, string log, string partition, string directory, IFileSystem fs, Func<SealedSegment, SealedSegment.Lease> open, long maxBytes, CancellationToken shutdown)
    {
        _archive = archive;
        _log = log;
        _partition = partition;
        _directory = directory;
        _fs = fs;
        _open = open;
        _maxBytes = maxBytes;
        _shutdown = shutdown;
    }

    /// <summary>The segment of a catalog row, checked against the row (base and last id, and the size when the row has a checksum).</summary>
    public Task<(SealedSegment Segment, SealedSegment.Lease Lease)> AcquireAsync(SegmentInfo row, CancellationToken cancellationToken) =>
        AcquireAsync(RequestOf(row), cancellationToken);

    /// <summary>Reads records of a catalog row's segment; see <see cref="ReadAsync(FetchRequest, long, long, RecordBatchBuilder, long, CancellationToken)"/>.</summary>
    public ValueTask<long> ReadAsync(SegmentInfo row, long fromId, long toId, RecordBatchBuilder builder, long maxBytes, CancellationToken cancellationToken) =>
        ReadAsync(RequestOf(row), fromId, toId, builder, maxBytes, cancellationToken);

    /// <summary>
    /// Reads records <paramref name="fromId"/>.. at most <paramref name="toId"/> (and the segment's last id) of a fetched
    /// segment into <paramref name="builder"/> and returns the next id (<paramref name="fromId"/> itself when it lies past
    /// the segment). While the segment downloads, records whose frames are already in the file are served from it at once;
    /// a read beyond waits until the download reaches it, and gets the download's error when it fails.
    /// </summary>
    public async ValueTask<long> ReadAsync(FetchRequest row, long fromId, long toId, RecordBatchBuilder builder, long maxBytes, CancellationToken cancellationToken)
    {
        var download = JoinDownload(row);
        if (download is not null && await download.ReadAsync(fromId, toId, builder, maxBytes, cancellationToken).ConfigureAwait(false) is { } next)
        {
            return next;
        }

        // A read that joined the download was counted as a miss there: it is one lookup, counted once.
        var (segment, lease) = await AcquireAsync(row, cancellationToken, countLookup: download is null).ConfigureAwait(false);
        using (lease)
        {
            return fromId > segment.LastId ? fromId : SegmentReads.ReadFrames(lease, segment.BaseId, fromId, Math.Min(toId, segment.LastId), builder, maxBytes, segment.Path);
        }
    }

    /// <summary>
    /// A segment fetched back from the archive, with a read lease on it. The segment is pinned in the cache from the
    /// moment it is handed out until the lease holds its file open, so a concurrent fetch cannot evict (delete) it in
    /// between. When its file is gone anyway (deleted from outside the cache) the segment is forgotten and fetched again.
    /// </summary>
    public async Task<(SealedSegment Segment, SealedSegment.Lease Lease)> AcquireAsync(FetchRequest row, CancellationToken cancellationToken, bool countLookup = true)
    {
        for (var attempt = 0; ; attempt++)
        {
            var fetch = FetchPinnedAsync(row, countLookup);
            SealedSegment segment;
            try
            {
                segment = await fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The download goes on for other readers; release this reader's pin once it lands.
                _ = fetch.ContinueWith(static (t, state) => ((FetchedSegmentCache)state!).Unpin(t.Result), this, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                throw;
            }

            try
            {
                return (segment, _open(segment));
            }
            catch (FileNotFoundException) when (attempt < MaxFetchAttempts)
            {
                Forget(segment);
            }
            finally
            {
                Unpin(segment);
            }
        }
    }

    /// <summary>Removes the segment of <paramref name="baseId"/> from the cache and deletes its file (retention).</summary>
    public void Drop(long baseId)
    {
        lock (_lock)
        {
            DropLocked(baseId);
        }
    }

    /// <summary>Closes every cached segment; a fetch that completes later leaves the cache folder alone.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            foreach (var s in _fetched.Values)
            {
                s.Close();
            }
        }
    }

    private static FetchRequest RequestOf(SegmentInfo row) =>
        new(row.BaseId, row.FileName, row.LastId, row.FileChecksum != 0 ? row.SizeBytes : null, row.ArchiveKey ?? row.FileName);

    /// <summary>The download of a segment that is not in the cache (started here when none runs), or <see langword="null"/> when it is cached or the archive does not stream.</summary>
    private SegmentDownload? JoinDownload(FetchRequest row)
    {
        lock (_lock)
        {
            if (_fetched.ContainsKey(row.BaseId))
            {
                return null;
            }

            if (!_fetching.ContainsKey(row.BaseId))
            {
                // Observed by the readers of the download (SegmentDownload.Complete) and by AcquireAsync.
                _ = StartFetchLocked(row);
            }

            if (_downloads.TryGetValue(row.BaseId, out var download))
            {
                StorageInstruments.RecordCacheLookup(_log, hit: false);
                return download;
            }

            return null;
        }
    }

    /// <summary>Starts the fetch of <paramref name="row"/>; streaming when the archive can.</summary>
    private Task<SealedSegment> StartFetchLocked(FetchRequest row)
    {
        var download = _archive is IStreamingSegmentArchive ? new SegmentDownload(row.BaseId, SegmentFiles.DownloadPath(Path.Combine(_directory, row.FileName)), _fs) : null;

        // May complete synchronously (the fetch failed at once): then it must not be left in _fetching.
        var task = FetchCoreAsync(row, download);

        // Readers of a streaming download learn its failure from it; nobody may await the task itself.
        _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        if (!task.IsCompleted)
        {
            _fetching[row.BaseId] = task;
            if (download is not null)
            {
                _downloads[row.BaseId] = download;
            }
        }

        return task;
    }

    /// <summary>Removes <paramref name="segment"/> from the cache when it is still there, leaving the files alone.</summary>
    private void Forget(SealedSegment segment)
    {
        lock (_lock)
        {
            if (_fetched.TryGetValue(segment.BaseId, out var cached) && ReferenceEquals(cached, segment))
            {
                _fetched.Remove(segment.BaseId);
                _fetchedOrder.Remove(segment.BaseId);
                segment.Close();
            }
        }
    }

    private void Unpin(SealedSegment segment)
    {
        lock (_lock)
        {
            if (_fetchPins.TryGetValue(segment, out var pins))
            {
                if (pins <= 1)
                {
                    _fetchPins.Remove(segment);
                }
                else
                {
                    _fetchPins[segment] = pins - 1;
                }
            }
        }
    }

    /// <summary>A fetched segment (downloaded once, shared by concurrent readers), pinned for the caller.</summary>
    private Task<SealedSegment> FetchPinnedAsync(FetchRequest row, bool countLookup)
    {
        lock (_lock)
        {
            if (countLookup)
            {
                StorageInstruments.RecordCacheLookup(_log, _fetched.ContainsKey(row.BaseId));
            }

            if (_fetched.TryGetValue(row.BaseId, out var cached))
            {
                _fetchedOrder.Remove(row.BaseId);
                _fetchedOrder.AddFirst(row.BaseId);
                _fetchPins[cached] = _fetchPins.GetValueOrDefault(cached) + 1;
                return Task.FromResult(cached);
            }

            _fetchWaiters[row.BaseId] = _fetchWaiters.GetValueOrDefault(row.BaseId) + 1;
            return _fetching.TryGetValue(row.BaseId, out var task) ? task : StartFetchLocked(row);
        }
    }

    private async Task<SealedSegment> FetchCoreAsync(FetchRequest row, SegmentDownload? download)
    {
        Exception? failure = null;
        var left = false;
        try
        {
            var archive = _archive ?? throw new SegmentCorruptedException(row.FileName, row.BaseId, "the segment was evicted to an archive, but no archive is configured");
            var path = Path.Combine(_directory, row.FileName);
            _fs.CreateDirectory(_directory);

            // Always a fresh download: cache files are not flushed to stable storage, so a file left by an earlier
            // process (perhaps one that crashed) is not trusted. Within this process a fetched segment stays in _fetched.
            await SegmentFiles.DownloadVerifiedAsync(archive, new ArchiveObjectKey(_log, _partition, row.FileName), path, _fs, durable: false, _shutdown, download is null ? null : download.Written).ConfigureAwait(false);

            SealedSegment segment;
            using (var file = _fs.OpenFile(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                var scan = SegmentScanner.ReadSealed(file, validateIndex: false);
                if (!scan.IsSealed || scan.Metadata!.Value.BaseId != row.BaseId || (row.LastId is { } lastId && scan.Metadata.Value.LastId != lastId)
                    || (row.SizeBytes is { } size && scan.FileLength != size))
                {
                    _fs.DeleteFile(path);
                    throw new ArchiveIntegrityException(row.Label, row.LastId is null ? "the fetched object is not the sealed segment its name says" : "the fetched segment does not match the catalog");
                }

                segment = new SealedSegment(path, scan.Header!.Value, scan.Footer!.Value, scan.Metadata.Value, scan.FileLength);
            }

            lock (_lock)
            {
                // Landing and leaving _fetching are one step: a reader that finds the fetch in flight is counted as its
                // waiter and gets a pin here; one that comes later finds the segment cached.
                _fetching.Remove(row.BaseId);
                _downloads.Remove(row.BaseId);
                left = true;
                var waiters = _fetchWaiters.Remove(row.BaseId, out var n) ? n : 0;
                if (_closed)
                {
                    // A fetch that finished after the partition closed: the cache folder may already belong to the next
                    // instance of this partition, so this one must not evict (delete) anything in it.
                    return segment;
                }

                _fetched[row.BaseId] = segment;
                _fetchedOrder.AddFirst(row.BaseId);
                if (waiters > 0)
                {
                    _fetchPins[segment] = waiters;
                }

                EvictLocked();
            }

            return segment;
        }
        catch (Exception e)
        {
            failure = e;
            lock (_lock)
            {
                // Only while this fetch is still the one registered (after it left, a new fetch of the segment may be).
                if (!left)
                {
                    _fetching.Remove(row.BaseId);
                    _downloads.Remove(row.BaseId);
                    _fetchWaiters.Remove(row.BaseId);
                }
            }

            throw;
        }
        finally
        {
            // After it left _fetching: a reader of the download goes on to the cached segment, or gets the failure while a new read fetches afresh.
            download?.Complete(failure);
        }
    }

    /// <summary>Removes segments beyond the byte budget: least recently used first, never the newest and never one a read is about to open.</summary>
    private void EvictLocked()
    {
        long bytes = 0;
        foreach (var s in _fetched.Values)
        {
            bytes += s.FileSize;
        }

        for (var node = _fetchedOrder.Last; bytes > _maxBytes && node is not null && node != _fetchedOrder.First;)
        {
            var previous = node.Previous;
            var candidate = _fetched[node.Value];
            if (!_fetchPins.ContainsKey(candidate))
            {
                bytes -= candidate.FileSize;
                DropLocked(node.Value);
            }

            node = previous;
        }
    }

    private void DropLocked(long baseId)
    {
        if (_fetched.Remove(baseId, out var segment))
        {
            _fetchedOrder.Remove(baseId);
            segment.Close();
            _fs.DeleteFile(segment.Path);
        }
    }
}
