using OrleansAof.Storage.Format;
using OrleansAof.Storage.Internal;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Archive;

/// <summary>
/// Reads the archived records of a partition straight from its archive, without the partition's writer: for example
/// while the partition's owner silo is down, or on any machine that can reach the archive. Segments are fetched into a
/// cache folder (verified on download, least recently used removed beyond a byte budget) and every record is verified
/// against its checksum. Thread-safe.
/// </summary>
public sealed class ArchiveReader : IDisposable
{
    private static readonly TimeSpan ListingLifetime = TimeSpan.FromSeconds(5);
    private readonly ISegmentArchive _archive;
    private readonly string _log;
    private readonly string _partition;
    private readonly string _cache;
    private readonly long _maxCacheBytes;
    private readonly IFileSystem _fs;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _sync = new(1, 1);
    private readonly Dictionary<long, SealedSegment> _segments = [];
    private readonly LinkedList<long> _order = new();
    private List<long> _bases = [];
    private DateTimeOffset _listedAt = DateTimeOffset.MinValue;

    /// <summary>Creates a reader of <paramref name="log"/>/<paramref name="partition"/> in <paramref name="archive"/>.</summary>
    /// <param name="archive">The archive.</param>
    /// <param name="log">Log name.</param>
    /// <param name="partition">Partition name.</param>
    /// <param name="cacheDirectory">Folder for fetched segments (created when missing).</param>
    /// <param name="maxCacheBytes">Bytes of fetched segments kept; at least one segment is always kept.</param>
    /// <param name="fileSystem">File access; default the real file system.</param>
    /// <param name="time">Clock for refreshing the listing; default the system clock.</param>
    public ArchiveReader(ISegmentArchive archive, string log, string partition, string cacheDirectory, long maxCacheBytes = 512L * 1024 * 1024, IFileSystem? fileSystem = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentException.ThrowIfNullOrEmpty(cacheDirectory);
        PartitionDirectory.ValidateName(log);
        PartitionDirectory.ValidateName(partition);
        _archive = archive;
        _log = log;
        _partition = partition;
        _cache = cacheDirectory;
        _maxCacheBytes = maxCacheBytes;
        _fs = fileSystem ?? PhysicalFileSystem.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Reads archived records from <paramref name="fromId"/> upward within one segment, at most
    /// <paramref name="maxRecords"/> records and about <paramref name="maxBytes"/> payload bytes. Returns an empty batch
    /// when <paramref name="fromId"/> is past the archived records.
    /// </summary>
    /// <exception cref="InvalidRangeException">A negative id or a non-positive limit.</exception>
    /// <exception cref="RecordTrimmedException"><paramref name="fromId"/> lies below the oldest archived segment.</exception>
    /// <exception cref="ArchiveIntegrityException">A fetched segment failed verification.</exception>
    public async Task<RecordBatch> ReadAsync(long fromId, int maxRecords = 1000, long maxBytes = PartitionLog.DefaultMaxReadBytes, CancellationToken cancellationToken = default)
    {
        SegmentReads.ValidateLimits(fromId, maxRecords, maxBytes);
        SealedSegment? segment;
        SealedSegment.Lease? acquired = null;
        do
        {
            segment = await FindAsync(fromId, cancellationToken).ConfigureAwait(false);
            if (segment is null)
            {
                return new RecordBatch([], [], fromId);
            }

            // Open it under the cache lock: a concurrent fetch may have evicted it (and deleted its file) since FindAsync
            // returned it; then fetch it again.
            await _sync.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_segments.TryGetValue(segment.BaseId, out var current) && ReferenceEquals(current, segment))
                {
                    acquired = segment.Acquire(_fs);
                }
            }
            finally
            {
                _sync.Release();
            }
        }
        while (acquired is null);

        using var builder = new RecordBatchBuilder(maxRecords, maxBytes);
        using var lease = acquired.Value;
        var last = Math.Min(segment.LastId, fromId + maxRecords - 1);
        var next = SegmentReads.ReadFrames(lease, segment.BaseId, fromId, last, builder, maxBytes, segment.Path);
        return builder.Build(next);
    }

    /// <summary>The last id held by the archive (-1 when it holds nothing of this partition).</summary>
    public async Task<long> GetLastArchivedIdAsync(CancellationToken cancellationToken = default)
    {
        await RefreshAsync(force: true, cancellationToken).ConfigureAwait(false);
        if (_bases.Count == 0)
        {
            return -1;
        }

        var newest = await FetchAsync(_bases[^1], cancellationToken).ConfigureAwait(false);
        return newest.LastId;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var s in _segments.Values)
        {
            s.Close();
        }

        _sync.Dispose();
    }

    private async Task<SealedSegment?> FindAsync(long id, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            await RefreshAsync(force: attempt > 0, cancellationToken).ConfigureAwait(false);
            var bases = _bases;
            if (bases.Count > 0 && id < bases[0])
            {
                throw new RecordTrimmedException(id, bases[0]);
            }

            var index = bases.BinarySearch(id);
            index = index >= 0 ? index : ~index - 1;
            if (index < 0)
            {
                continue;
            }

            var segment = await FetchAsync(bases[index], cancellationToken).ConfigureAwait(false);
            if (id <= segment.LastId)
            {
                return segment;
            }
        }

        return null;
    }

    private async Task RefreshAsync(bool force, CancellationToken cancellationToken)
    {
        if (!force && _time.GetUtcNow() - _listedAt < ListingLifetime)
        {
            return;
        }

        var bases = new List<long>();
        await foreach (var o in _archive.ListAsync(_log, _partition, cancellationToken).ConfigureAwait(false))
        {
            if (PartitionLayout.TryParseSegmentFileName(o.Key.FileName, out var b))
            {
                bases.Add(b);
            }
        }

        bases.Sort();
        _bases = bases;
        _listedAt = _time.GetUtcNow();
    }

    private async Task<SealedSegment> FetchAsync(long baseId, CancellationToken cancellationToken)
    {
        await _sync.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            StorageInstruments.RecordCacheLookup(_log, _segments.ContainsKey(baseId));
            if (_segments.TryGetValue(baseId, out var cached))
            {
                _order.Remove(baseId);
                _order.AddFirst(baseId);
                return cached;
            }

            var fileName = PartitionLayout.SegmentFileName(baseId);
            var path = Path.Combine(_cache, fileName);
            _fs.CreateDirectory(_cache);

            // Always a fresh download: cache files are not flushed to stable storage, so a file this reader did not
            // fetch itself (left by an earlier process, perhaps one that crashed) is not trusted.
            await Internal.SegmentFiles.DownloadVerifiedAsync(_archive, new ArchiveObjectKey(_log, _partition, fileName), path, _fs, durable: false, cancellationToken).ConfigureAwait(false);

            SealedSegment segment;
            using (var file = _fs.OpenFile(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                var scan = SegmentScanner.ReadSealed(file, validateIndex: false);
                if (!scan.IsSealed || scan.Metadata!.Value.BaseId != baseId)
                {
                    _fs.DeleteFile(path);
                    throw new ArchiveIntegrityException($"{_log}/{_partition}/{fileName}", "the fetched object is not the sealed segment its name says");
                }

                segment = new SealedSegment(path, scan.Header!.Value, scan.Footer!.Value, scan.Metadata.Value, scan.FileLength);
            }

            _segments[baseId] = segment;
            _order.AddFirst(baseId);
            long bytes = 0;
            foreach (var s in _segments.Values)
            {
                bytes += s.FileSize;
            }

            while (bytes > _maxCacheBytes && _order.Count > 1)
            {
                var oldest = _order.Last!.Value;
                _order.RemoveLast();
                var dropped = _segments[oldest];
                _segments.Remove(oldest);
                bytes -= dropped.FileSize;
                dropped.Close();
                _fs.DeleteFile(dropped.Path);
            }

            return segment;
        }
        finally
        {
            _sync.Release();
        }
    }
}
