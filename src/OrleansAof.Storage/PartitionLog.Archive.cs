using System.Buffers;
using Microsoft.Extensions.Logging;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.Internal;

namespace OrleansAof.Storage;

public sealed partial class PartitionLog
{
    private readonly SemaphoreSlim _archiveGate = new(1, 1);
    private readonly Dictionary<long, SegmentInfo> _rows = [];
    private readonly Dictionary<long, SealedSegment> _fetched = [];
    private readonly LinkedList<long> _fetchedOrder = new();
    private readonly Dictionary<long, Task<SealedSegment>> _fetching = [];

    // Reads that were handed a fetched segment and have not opened it yet, by segment: the read cache never evicts these.
    // A download's waiters are counted in _fetchWaiters and become pins when it lands in the cache.
    private readonly Dictionary<SealedSegment, int> _fetchPins = [];
    private readonly Dictionary<long, int> _fetchWaiters = [];
    private int _backlogSegments;
    private long _backlogBytes;

    /// <summary>Sealed segments (and their bytes) waiting for archival. Zero when no archive is configured.</summary>
    public (int Segments, long Bytes) ArchiveBacklog
    {
        get
        {
            lock (_writeLock)
            {
                return (_backlogSegments, _backlogBytes);
            }
        }
    }

    /// <summary>
    /// One step of archival: takes the lowest sealed segment not yet archived, verifies it completely (header, footer,
    /// index, every record and the rolling checksum), marks it <see cref="SegmentStatus.Archiving"/>, stores it in the
    /// archive (unless an identical object is already there: a repeated step never uploads twice), lets the archive verify
    /// the stored object and marks it <see cref="SegmentStatus.Archived"/>. Returns the archived segment, or null when
    /// nothing is waiting. Safe under duplicate calls and crashes at any point (the next step redoes what is missing).
    /// </summary>
    /// <exception cref="InvalidOperationException">No archive is configured.</exception>
    /// <exception cref="SegmentCorruptedException">The segment is damaged; it is quarantined instead of archived.</exception>
    public async Task<SegmentInfo?> ArchiveNextAsync(CancellationToken cancellationToken = default)
    {
        var archive = _environment.Archive ?? throw new InvalidOperationException($"Partition '{_dir.FullName}' has no archive configured (PartitionLogEnvironment.Archive).");
        await _archiveGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            SealedSegment? segment = null;
            SegmentInfo? row = null;
            lock (_writeLock)
            {
                foreach (var s in _sealed)
                {
                    if (_rows.TryGetValue(s.BaseId, out var r) && r.Status is SegmentStatus.Sealed or SegmentStatus.Archiving)
                    {
                        (segment, row) = (s, r);
                        break;
                    }
                }
            }

            if (segment is null || row is null)
            {
                return null;
            }

            SegmentFileFacts facts;
            try
            {
                facts = await Task.Run(() => VerifyForArchive(segment), cancellationToken).ConfigureAwait(false);
            }
            catch (SegmentCorruptedException e)
            {
                UpdateRow(row with { Status = SegmentStatus.Quarantined });
                LogQuarantined(_logger, _dir.FullName, segment.Path, e.Detail);
                throw;
            }

            row = UpdateRow(row with { Status = SegmentStatus.Archiving, FileChecksum = facts.Checksum, SizeBytes = facts.Size });
            var key = new ArchiveObjectKey(Log, Partition, row.FileName);
            var stored = await archive.GetInfoAsync(key, cancellationToken).ConfigureAwait(false);
            if (stored is null || stored.Original != facts)
            {
                stored = await archive.PutAsync(key, segment.Path, facts, cancellationToken).ConfigureAwait(false);
            }

            if (stored.Original != facts)
            {
                throw new ArchiveIntegrityException(key.RelativeKey, $"the archive recorded {stored.Original} for a file with {facts}");
            }

            var archived = UpdateRow(row with
            {
                Status = SegmentStatus.Archived,
                ArchiveKey = key.RelativeKey,
                ArchivedSizeBytes = stored.StoredSize,
                ArchivedChecksum = stored.StoredChecksum,
            });
            LogArchived(_logger, _dir.FullName, archived.BaseId, archived.LastId, stored.StoredSize);
            return archived;
        }
        finally
        {
            _archiveGate.Release();
        }
    }

    /// <summary>
    /// Removes local files of archived segments that local retention no longer needs: never the newest
    /// <see cref="PartitionLogOptions.KeepLocalSegments"/> sealed segments, never below
    /// <see cref="PartitionLogOptions.KeepLocalBytes"/> of local sealed data, never younger than
    /// <see cref="PartitionLogOptions.KeepLocalAge"/>, and only segments whose upload was verified and that the archive still
    /// holds with the recorded size and checksum. Returns what was evicted.
    /// </summary>
    /// <remarks>
    /// Crash-safe: the catalog records <see cref="SegmentStatus.LocalEvicted"/> (durably) before the file is deleted, so a
    /// crash in between leaves a file the next open keeps as <see cref="SegmentStatus.Archived"/>, and a crash after it
    /// leaves a row that reads serve from the archive. The catalog never points at nothing.
    /// </remarks>
    public async Task<IReadOnlyList<SegmentInfo>> EvictArchivedAsync(CancellationToken cancellationToken = default)
    {
        var candidates = new List<(SealedSegment Segment, SegmentInfo Row)>();
        lock (_writeLock)
        {
            var local = _sealed;
            long localBytes = 0;
            foreach (var s in local)
            {
                localBytes += s.FileSize;
            }

            var now = _time.GetUtcNow();
            for (var i = 0; i < local.Length - _options.KeepLocalSegments; i++)
            {
                var s = local[i];
                if (_rows.TryGetValue(s.BaseId, out var row) && row.Status == SegmentStatus.Archived
                    && localBytes - s.FileSize >= _options.KeepLocalBytes
                    && now - SegmentFormat.FromUnixMicroseconds(s.Metadata.SealedAtMicros) >= _options.KeepLocalAge)
                {
                    candidates.Add((s, row));
                    localBytes -= s.FileSize;
                }
            }
        }

        var evicted = new List<SegmentInfo>();
        foreach (var (segment, row) in candidates)
        {
            if (_environment.Archive is { } archive)
            {
                // Delete the only local copy only while the archive demonstrably holds the bytes the catalog recorded.
                var stored = await archive.GetInfoAsync(new ArchiveObjectKey(Log, Partition, row.FileName), cancellationToken).ConfigureAwait(false);
                if (stored is null || stored.Original != new SegmentFileFacts(row.SizeBytes, row.FileChecksum))
                {
                    LogEvictionRefused(_logger, _dir.FullName, row.BaseId, stored?.Original.ToString() ?? "no object");
                    UpdateRow(row with { Status = SegmentStatus.Sealed, ArchiveKey = null });
                    continue;
                }
            }

            SegmentInfo marked;
            lock (_writeLock)
            {
                if (Array.IndexOf(_sealed, segment) < 0 || !_rows.TryGetValue(row.BaseId, out var current) || current.Status != SegmentStatus.Archived)
                {
                    continue;
                }

                // Durable before the delete: the catalog must never name a local file that is gone.
                marked = UpdateRow(current with { Status = SegmentStatus.LocalEvicted });
                _sealed = Array.FindAll(_sealed, x => !ReferenceEquals(x, segment));
            }

            await Task.Run(
                () =>
                {
                    segment.Close();
                    _fs.DeleteFile(segment.Path);
                },
                cancellationToken).ConfigureAwait(false);
            evicted.Add(marked);
        }

        if (evicted.Count > 0)
        {
            await Task.Run(() => _fs.FlushDirectory(_dir.Segments), cancellationToken).ConfigureAwait(false);
        }

        return evicted;
    }

    /// <summary>
    /// Applies <see cref="PartitionLogOptions.RetentionAge"/>: archived segments (from the oldest, without gaps) whose
    /// newest record is older than it are deleted from the archive and from local disk, and <see cref="FirstId"/> moves
    /// past them; reads below it then fail with <see cref="RecordTrimmedException"/>. Returns what was deleted.
    /// </summary>
    /// <remarks>
    /// Crash-safe: the new first id is recorded durably first (the decision), then the local file, the archived object and
    /// the row go; a crash in between leaves rows below the first id, which the next run deletes again.
    /// </remarks>
    public async Task<IReadOnlyList<SegmentInfo>> ApplyRetentionAsync(CancellationToken cancellationToken = default)
    {
        if (_options.RetentionAge is not { } age || _environment.Archive is not { } archive)
        {
            return [];
        }

        await _archiveGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var cutoff = SegmentFormat.ToUnixMicroseconds(_time.GetUtcNow() - age);
            var deleted = new List<SegmentInfo>();
            List<SegmentInfo> candidates;
            lock (_writeLock)
            {
                candidates = [.. _rows.Values.OrderBy(static r => r.BaseId)];
            }

            foreach (var row in candidates)
            {
                if (row.LastId >= FirstId)
                {
                    var newest = row.LastTimestampMicros != 0 ? row.LastTimestampMicros : row.SealedAt is { } sealedAt ? SegmentFormat.ToUnixMicroseconds(sealedAt) : long.MaxValue;
                    if (row.Status is not (SegmentStatus.Archived or SegmentStatus.LocalEvicted) || newest >= cutoff)
                    {
                        break;
                    }

                    lock (_writeLock)
                    {
                        Volatile.Write(ref _firstId, row.LastId + 1);
                        TryCatalog(c => c.SetMeta("first_id", (row.LastId + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    }
                }

                SealedSegment? local;
                lock (_writeLock)
                {
                    local = Array.Find(_sealed, s => s.BaseId == row.BaseId);
                    if (local is not null)
                    {
                        _sealed = Array.FindAll(_sealed, s => s.BaseId != row.BaseId);
                    }

                    DropFetchedLocked(row.BaseId);
                }

                if (local is not null)
                {
                    local.Close();
                    _fs.DeleteFile(local.Path);
                    _fs.FlushDirectory(_dir.Segments);
                }

                if (row.Status is not (SegmentStatus.Quarantined or SegmentStatus.Missing))
                {
                    await archive.DeleteAsync(new ArchiveObjectKey(Log, Partition, row.FileName), cancellationToken).ConfigureAwait(false);
                }

                lock (_writeLock)
                {
                    _rows.Remove(row.BaseId);
                    TryCatalog(c => c.Remove(row.BaseId));
                    RecomputeBacklogLocked();
                }

                deleted.Add(row);
            }

            return deleted;
        }
        finally
        {
            _archiveGate.Release();
        }
    }

    /// <summary>
    /// Heals a local sealed segment whose file turned out missing, cut short or damaged: when the archive holds a verified
    /// copy (the row is <see cref="SegmentStatus.Archived"/>, or the archive has an object of the recorded size), the local
    /// file is moved to <c>quarantine/</c>, the row becomes <see cref="SegmentStatus.LocalEvicted"/> and reads are served
    /// from the archive. Returns false when there is no copy: then a damaged file stays in place (its intact records are
    /// still served), a missing one is recorded as <see cref="SegmentStatus.Missing"/>, and the read fails with the typed error.
    /// </summary>
    private async Task<bool> HealAsync(SealedSegment segment, Exception failure, CancellationToken cancellationToken)
    {
        SegmentInfo? row;
        lock (_writeLock)
        {
            if (Array.IndexOf(_sealed, segment) < 0)
            {
                // Someone else healed or evicted it already: look it up again.
                return true;
            }

            _rows.TryGetValue(segment.BaseId, out row);
        }

        if (row is null)
        {
            return false;
        }

        var key = new ArchiveObjectKey(Log, Partition, row.FileName);
        ArchivedObjectInfo? copy = null;
        if (_environment.Archive is { } archive && row.Status is not SegmentStatus.Archived)
        {
            try
            {
                copy = await archive.GetInfoAsync(key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AppendLogException or IOException)
            {
                LogHealFailed(_logger, _dir.FullName, segment.BaseId, e.Message);
            }

            if (copy is not null && copy.Original.Size != segment.FileSize)
            {
                copy = null;
            }
        }

        var archived = row.Status == SegmentStatus.Archived || copy is not null;
        var gone = failure is FileNotFoundException or DirectoryNotFoundException;
        if (!archived && !gone)
        {
            // Damage and no copy to fall back on: the file stays where it is, so the records around the damage are
            // still served; the read of the damaged ones fails with the typed error.
            return false;
        }

        SegmentInfo updated;
        lock (_writeLock)
        {
            if (Array.IndexOf(_sealed, segment) < 0)
            {
                return true;
            }

            _sealed = Array.FindAll(_sealed, x => !ReferenceEquals(x, segment));
            updated = archived
                ? (copy is null ? row with { Status = SegmentStatus.LocalEvicted } : row with
                {
                    Status = SegmentStatus.LocalEvicted,
                    FileChecksum = copy.Original.Checksum,
                    ArchiveKey = key.RelativeKey,
                    ArchivedSizeBytes = copy.StoredSize,
                    ArchivedChecksum = copy.StoredChecksum,
                })
                : row with { Status = SegmentStatus.Missing };
            UpdateRow(updated);
        }

        segment.Close();
        string? movedTo = null;
        if (!gone)
        {
            try
            {
                movedTo = await Task.Run(() => _fs.FileExists(segment.Path) ? SegmentFiles.Quarantine(_fs, _dir, segment.Path) : null, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                LogHealFailed(_logger, _dir.FullName, segment.BaseId, e.Message);
            }
        }

        LogHealed(_logger, _dir.FullName, segment.BaseId, failure.Message, updated.Status.ToString(), movedTo ?? "-");
        return archived;
    }

    /// <summary>Records a status change of a sealed segment in memory and in the catalog.</summary>
    private SegmentInfo UpdateRow(SegmentInfo row)
    {
        lock (_writeLock)
        {
            _rows[row.BaseId] = row;
            TryCatalog(c => c.Upsert(row));
            RecomputeBacklogLocked();
            return row;
        }
    }

    private void InitializeRows(IEnumerable<SegmentInfo> rows)
    {
        lock (_writeLock)
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

    private void RecomputeBacklogLocked()
    {
        var count = 0;
        long bytes = 0;
        if (_environment.Archive is not null)
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

        _backlogSegments = count;
        _backlogBytes = bytes;
    }

    /// <summary>Throws when the archive backlog is over its bounds. The caller holds the write lock.</summary>
    private void ThrowIfArchiveBacklogFull()
    {
        if (_backlogSegments > _options.MaxArchiveBacklogSegments || _backlogBytes > _options.MaxArchiveBacklogBytes)
        {
            StorageInstruments.RecordBackpressure(BackpressureReason.ArchiveBacklog);
            throw new LogBackpressureException(
                BackpressureReason.ArchiveBacklog,
                Invariant($"{_backlogSegments} sealed segment(s) ({_backlogBytes} bytes) wait for archival; the bounds are {_options.MaxArchiveBacklogSegments} segments (PartitionLogOptions.MaxArchiveBacklogSegments) and {_options.MaxArchiveBacklogBytes} bytes (PartitionLogOptions.MaxArchiveBacklogBytes). Appends resume once the archiver catches up."),
                TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Reads a sealed segment completely and returns the size and CRC-32C of the file.</summary>
    private SegmentFileFacts VerifyForArchive(SealedSegment segment)
    {
        using var file = _fs.OpenFile(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var scan = SegmentScanner.ScanForward(file, _options.MaxRecordBytes, collectRecords: false);
        var problem = !scan.IsSealed ? scan.FooterError ?? scan.HeaderError ?? "not sealed"
            : scan.Stop != ScanStop.CleanEnd || scan.ValidEnd != scan.Footer!.Value.DataEnd ? $"invalid data at offset {scan.ValidEnd}: {scan.StopDetail}"
            : scan.RollingChecksum != scan.Metadata!.Value.DataChecksum ? "the records do not match the segment's rolling checksum"
            : null;
        if (problem is not null)
        {
            throw new SegmentCorruptedException(segment.Path, segment.BaseId, problem);
        }

        var length = file.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            uint crc = 0;
            for (long pos = 0; pos < length;)
            {
                var n = file.Read(pos, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - pos)));
                if (n <= 0)
                {
                    throw new SegmentCorruptedException(segment.Path, segment.BaseId, $"the file ended at {pos} of {length} bytes");
                }

                crc = Crc32C.Append(crc, buffer.AsSpan(0, n));
                pos += n;
            }

            return new SegmentFileFacts(length, crc);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The segment holding <paramref name="id"/> when it is only in the archive (or quarantined): its catalog row.</summary>
    private SegmentInfo? RemoteRow(long id)
    {
        lock (_writeLock)
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

    /// <summary>
    /// A segment fetched back from the archive, with a read lease on it. The segment is pinned in the read cache from the
    /// moment it is handed out until the lease holds its file open, so a concurrent fetch cannot evict (delete) it in
    /// between. When its file is gone anyway (deleted from outside the cache) the segment is forgotten and fetched again.
    /// </summary>
    private async Task<(SealedSegment Segment, SealedSegment.Lease Lease)> AcquireFetchedAsync(SegmentInfo row, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var fetch = FetchPinnedAsync(row);
            SealedSegment segment;
            try
            {
                segment = await fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The download goes on for other readers; release this reader's pin once it lands.
                _ = fetch.ContinueWith(static (t, state) => ((PartitionLog)state!).Unpin(t.Result), this, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                throw;
            }

            try
            {
                return (segment, AcquireSealed(segment));
            }
            catch (FileNotFoundException) when (attempt < MaxFetchAttempts)
            {
                ForgetFetched(segment);
            }
            finally
            {
                Unpin(segment);
            }
        }
    }

    private const int MaxFetchAttempts = 3;

    /// <summary>Removes <paramref name="segment"/> from the read cache when it is still there, leaving the files alone.</summary>
    private void ForgetFetched(SealedSegment segment)
    {
        lock (_writeLock)
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
        lock (_writeLock)
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

    /// <summary>
    /// A segment fetched back from the archive into <c>cache/</c> (downloaded once, shared by concurrent readers), pinned
    /// for the caller (see <see cref="AcquireFetchedAsync"/>).
    /// </summary>
    private Task<SealedSegment> FetchPinnedAsync(SegmentInfo row)
    {
        lock (_writeLock)
        {
            StorageInstruments.RecordCacheLookup(Log, _fetched.ContainsKey(row.BaseId));
            if (_fetched.TryGetValue(row.BaseId, out var cached))
            {
                _fetchedOrder.Remove(row.BaseId);
                _fetchedOrder.AddFirst(row.BaseId);
                _fetchPins[cached] = _fetchPins.GetValueOrDefault(cached) + 1;
                return Task.FromResult(cached);
            }

            _fetchWaiters[row.BaseId] = _fetchWaiters.GetValueOrDefault(row.BaseId) + 1;
            if (!_fetching.TryGetValue(row.BaseId, out var task))
            {
                // May complete synchronously (the file is already in the cache folder): then it must not be left in _fetching.
                task = FetchCoreAsync(row);
                if (!task.IsCompleted)
                {
                    _fetching[row.BaseId] = task;
                }
            }

            return task;
        }
    }

    private async Task<SealedSegment> FetchCoreAsync(SegmentInfo row)
    {
        try
        {
            var archive = _environment.Archive ?? throw new SegmentCorruptedException(row.FileName, row.BaseId, "the segment was evicted to an archive, but no archive is configured");
            var path = Path.Combine(_dir.Cache, row.FileName);
            _fs.CreateDirectory(_dir.Cache);

            // Always a fresh download: cache files are not flushed to stable storage, so a file left by an earlier
            // process (perhaps one that crashed) is not trusted. Within this process a fetched segment stays in _fetched.
            await SegmentFiles.DownloadVerifiedAsync(archive, new ArchiveObjectKey(Log, Partition, row.FileName), path, _fs, durable: false, _shutdown.Token).ConfigureAwait(false);

            SealedSegment segment;
            using (var file = _fs.OpenFile(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                var scan = SegmentScanner.ReadSealed(file, validateIndex: false);
                if (!scan.IsSealed || scan.Metadata!.Value.BaseId != row.BaseId || scan.Metadata.Value.LastId != row.LastId
                    || (row.FileChecksum != 0 && scan.FileLength != row.SizeBytes))
                {
                    _fs.DeleteFile(path);
                    throw new ArchiveIntegrityException(row.ArchiveKey ?? row.FileName, "the fetched segment does not match the catalog");
                }

                segment = new SealedSegment(path, scan.Header!.Value, scan.Footer!.Value, scan.Metadata.Value, scan.FileLength);
            }

            lock (_writeLock)
            {
                var waiters = _fetchWaiters.Remove(row.BaseId, out var n) ? n : 0;
                if (_state == PartitionState.Closed)
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

                long bytes = 0;
                foreach (var s in _fetched.Values)
                {
                    bytes += s.FileSize;
                }

                // Least recently used first, never the newest and never one a read is about to open.
                for (var node = _fetchedOrder.Last; bytes > _options.ArchiveReadCacheBytes && node is not null && node != _fetchedOrder.First;)
                {
                    var previous = node.Previous;
                    var candidate = _fetched[node.Value];
                    if (!_fetchPins.ContainsKey(candidate))
                    {
                        bytes -= candidate.FileSize;
                        DropFetchedLocked(node.Value);
                    }

                    node = previous;
                }
            }

            return segment;
        }
        catch
        {
            lock (_writeLock)
            {
                _fetchWaiters.Remove(row.BaseId);
            }

            throw;
        }
        finally
        {
            lock (_writeLock)
            {
                _fetching.Remove(row.BaseId);
            }
        }
    }

    private void DropFetchedLocked(long baseId)
    {
        if (_fetched.Remove(baseId, out var segment))
        {
            _fetchedOrder.Remove(baseId);
            segment.Close();
            _fs.DeleteFile(segment.Path);
        }
    }

    [LoggerMessage(9, LogLevel.Warning, "Partition {Partition}: segment {BaseId} was not evicted: the archive holds {Stored} instead of the verified copy; it will be archived again")]
    private static partial void LogEvictionRefused(ILogger logger, string partition, long baseId, string stored);

    [LoggerMessage(10, LogLevel.Warning, "Partition {Partition}: segment {BaseId} failed a read ({Failure}); it is now {Status} (local file moved to {QuarantinedAt})")]
    private static partial void LogHealed(ILogger logger, string partition, long baseId, string failure, string status, string quarantinedAt);

    [LoggerMessage(11, LogLevel.Warning, "Partition {Partition}: healing segment {BaseId} from the archive failed: {Reason}")]
    private static partial void LogHealFailed(ILogger logger, string partition, long baseId, string reason);

    [LoggerMessage(8, LogLevel.Information, "Partition {Partition}: archived segment {BaseId}..{LastId} ({StoredBytes} bytes stored)")]
    private static partial void LogArchived(ILogger logger, string partition, long baseId, long lastId, long storedBytes);
}
