using OrleansAof.Storage.Internal;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Archive;

/// <summary>
/// Reads the archived records of a partition straight from its archive, without the partition's writer: for example
/// while the partition's owner silo is down, or on any machine that can reach the archive. Segments are fetched into a
/// cache folder (verified on download, least recently used removed beyond a byte budget) and every record is verified
/// against its checksum. A read is served while its segment streams in: records already downloaded at once, later ones
/// as the download reaches them; the whole object's checks still run at the end (see docs/archive.md). The cache is the engine's one archived-segment cache (the one a partition's reads use). Thread-safe.
/// </summary>
public sealed class ArchiveReader : IDisposable
{
    private static readonly TimeSpan ListingLifetime = TimeSpan.FromSeconds(5);
    private readonly ISegmentArchive _archive;
    private readonly string _log;
    private readonly string _partition;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _disposed = new();
    private readonly FetchedSegmentCache _cache;
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
        _time = time ?? TimeProvider.System;
        var fs = fileSystem ?? PhysicalFileSystem.Instance;
        _cache = new FetchedSegmentCache(archive, log, partition, cacheDirectory, fs, segment => segment.Acquire(fs), maxCacheBytes, _disposed.Token);
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
        var to = fromId > long.MaxValue - maxRecords ? long.MaxValue : fromId + maxRecords - 1;
        using var builder = new RecordBatchBuilder(maxRecords, maxBytes);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            await RefreshAsync(force: attempt > 0, cancellationToken).ConfigureAwait(false);
            var bases = _bases;
            if (bases.Count > 0 && fromId < bases[0])
            {
                throw new RecordTrimmedException(fromId, bases[0]);
            }

            var index = bases.BinarySearch(fromId);
            index = index >= 0 ? index : ~index - 1;
            if (index < 0)
            {
                continue;
            }

            // Served while the segment streams in: the first records come before the download completes.
            var next = await _cache.ReadAsync(Request(bases[index]), fromId, to, builder, maxBytes, cancellationToken).ConfigureAwait(false);
            if (next > fromId)
            {
                return builder.Build(next);
            }
        }

        return new RecordBatch([], [], fromId);
    }

    /// <summary>The last id held by the archive (-1 when it holds nothing of this partition).</summary>
    public async Task<long> GetLastArchivedIdAsync(CancellationToken cancellationToken = default)
    {
        await RefreshAsync(force: true, cancellationToken).ConfigureAwait(false);
        if (_bases.Count == 0)
        {
            return -1;
        }

        var (newest, lease) = await _cache.AcquireAsync(Request(_bases[^1]), cancellationToken).ConfigureAwait(false);
        lease.Dispose();
        return newest.LastId;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed.Cancel();
        _cache.Close();
        _disposed.Dispose();
    }

    private FetchRequest Request(long baseId)
    {
        var fileName = PartitionLayout.SegmentFileName(baseId);
        return new FetchRequest(baseId, fileName, LastId: null, SizeBytes: null, $"{_log}/{_partition}/{fileName}");
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
}
