using Microsoft.Extensions.Logging;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// Moving sealed segments to the archive and away from local disk: one archival step at a time, eviction under the local
/// retention rules, retention of the whole log, the archive backlog bound on appends, and healing a damaged or missing
/// local segment from its archived copy. Its lock orders the check-and-remove of local segments (eviction, healing,
/// retention) against each other; the segment set and the catalog are taken under it, never the writer's lock.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The gate is never disposed: a step still running when the partition closes releases it afterwards.")]
internal sealed partial class PartitionArchival
{
    private readonly SemaphoreSlim _archiveGate = new(1, 1);
    private readonly Lock _lock = new();
    private readonly PartitionDirectory _dir;
    private readonly PartitionLogOptions _options;
    private readonly ISegmentArchive? _archive;
    private readonly IFileSystem _fs;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SegmentSet _segments;
    private readonly PartitionCatalog _catalog;
    private readonly FetchedSegmentCache _cache;

    public PartitionArchival(PartitionDirectory dir, PartitionLogOptions options, PartitionLogEnvironment env, ILogger logger, SegmentSet segments, PartitionCatalog catalog, FetchedSegmentCache cache)
    {
        _dir = dir;
        _options = options;
        _archive = env.Archive;
        _fs = env.FileSystem;
        _time = env.TimeProvider;
        _logger = logger;
        _segments = segments;
        _catalog = catalog;
        _cache = cache;
    }

    /// <summary>Whether an archive is configured (the backlog bound applies only then).</summary>
    public bool Enabled => _archive is not null;

    /// <inheritdoc cref="PartitionLog.ArchiveNextAsync"/>
    public async Task<SegmentInfo?> ArchiveNextAsync(CancellationToken cancellationToken)
    {
        var archive = _archive ?? throw new InvalidOperationException($"Partition '{_dir.FullName}' has no archive configured (PartitionLogEnvironment.Archive).");
        await _archiveGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            SealedSegment? segment = null;
            SegmentInfo? row = null;
            foreach (var s in _segments.Sealed)
            {
                if (_catalog.TryGet(s.BaseId, out var r) && r.Status is SegmentStatus.Sealed or SegmentStatus.Archiving)
                {
                    (segment, row) = (s, r);
                    break;
                }
            }

            if (segment is null || row is null)
            {
                return null;
            }

            SegmentFileFacts facts;
            try
            {
                facts = await Task.Run(() => SegmentFiles.VerifySealed(_fs, segment.Path, segment.BaseId, _options.MaxRecordBytes), cancellationToken).ConfigureAwait(false);
            }
            catch (SegmentCorruptedException e)
            {
                _catalog.Update(row with { Status = SegmentStatus.Quarantined });
                LogQuarantined(_logger, _dir.FullName, segment.Path, e.Detail);
                throw;
            }

            row = _catalog.Update(row with { Status = SegmentStatus.Archiving, FileChecksum = facts.Checksum, SizeBytes = facts.Size });
            var key = new ArchiveObjectKey(_dir.Log, _dir.Partition, row.FileName);
            var stored = await StoredOrDamagedAsync(archive, key, cancellationToken).ConfigureAwait(false);
            if (stored is null || stored.Original != facts)
            {
                stored = await archive.PutAsync(key, segment.Path, facts, cancellationToken).ConfigureAwait(false);
            }

            if (stored.Original != facts)
            {
                throw new ArchiveIntegrityException(key.RelativeKey, $"the archive recorded {stored.Original} for a file with {facts}");
            }

            var archived = _catalog.Update(row with
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

    /// <inheritdoc cref="PartitionLog.EvictArchivedAsync"/>
    public async Task<IReadOnlyList<SegmentInfo>> EvictArchivedAsync(CancellationToken cancellationToken)
    {
        var candidates = new List<(SealedSegment Segment, SegmentInfo Row)>();
        var local = _segments.Sealed;
        long localBytes = 0;
        foreach (var s in local)
        {
            localBytes += s.FileSize;
        }

        var now = _time.GetUtcNow();
        for (var i = 0; i < local.Length - _options.KeepLocalSegments; i++)
        {
            var s = local[i];
            if (_catalog.TryGet(s.BaseId, out var row) && row.Status == SegmentStatus.Archived
                && localBytes - s.FileSize >= _options.KeepLocalBytes
                && now - SegmentFormat.FromUnixMicroseconds(s.Metadata.SealedAtMicros) >= _options.KeepLocalAge)
            {
                candidates.Add((s, row));
                localBytes -= s.FileSize;
            }
        }

        var evicted = new List<SegmentInfo>();
        foreach (var (segment, row) in candidates)
        {
            if (_archive is { } archive)
            {
                // Delete the only local copy only while the archive demonstrably holds the bytes the catalog recorded.
                var stored = await StoredOrDamagedAsync(archive, new ArchiveObjectKey(_dir.Log, _dir.Partition, row.FileName), cancellationToken).ConfigureAwait(false);
                if (stored is null || stored.Original != new SegmentFileFacts(row.SizeBytes, row.FileChecksum))
                {
                    LogEvictionRefused(_logger, _dir.FullName, row.BaseId, stored?.Original.ToString() ?? "no object");
                    _catalog.Update(row with { Status = SegmentStatus.Sealed, ArchiveKey = null });
                    continue;
                }
            }

            SegmentInfo marked;
            lock (_lock)
            {
                if (!_segments.Contains(segment) || !_catalog.TryGet(row.BaseId, out var current) || current.Status != SegmentStatus.Archived)
                {
                    continue;
                }

                // Durable before the delete: the catalog must never name a local file that is gone.
                marked = _catalog.Update(current with { Status = SegmentStatus.LocalEvicted });
                _segments.Remove(segment);
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

    /// <inheritdoc cref="PartitionLog.ApplyRetentionAsync"/>
    public async Task<IReadOnlyList<SegmentInfo>> ApplyRetentionAsync(CancellationToken cancellationToken)
    {
        if (_options.RetentionAge is not { } age || _archive is not { } archive)
        {
            return [];
        }

        await _archiveGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var cutoff = SegmentFormat.ToUnixMicroseconds(_time.GetUtcNow() - age);
            var deleted = new List<SegmentInfo>();
            foreach (var row in _catalog.SnapshotOrdered())
            {
                if (row.LastId >= _catalog.FirstId)
                {
                    var newest = row.LastTimestampMicros != 0 ? row.LastTimestampMicros : row.SealedAt is { } sealedAt ? SegmentFormat.ToUnixMicroseconds(sealedAt) : long.MaxValue;
                    if (row.Status is not (SegmentStatus.Archived or SegmentStatus.LocalEvicted) || newest >= cutoff)
                    {
                        break;
                    }

                    _catalog.SetFirstId(row.LastId + 1);
                }

                SealedSegment? local;
                lock (_lock)
                {
                    local = _segments.RemoveByBase(row.BaseId);
                    _cache.Drop(row.BaseId);
                }

                if (local is not null)
                {
                    local.Close();
                    _fs.DeleteFile(local.Path);
                    _fs.FlushDirectory(_dir.Segments);
                }

                if (row.Status is not (SegmentStatus.Quarantined or SegmentStatus.Missing))
                {
                    await archive.DeleteAsync(new ArchiveObjectKey(_dir.Log, _dir.Partition, row.FileName), cancellationToken).ConfigureAwait(false);
                }

                _catalog.Remove(row.BaseId);
                deleted.Add(row);
            }

            return deleted;
        }
        finally
        {
            _archiveGate.Release();
        }
    }

    /// <summary>Throws when the archive backlog is over its bounds (lock-free; called on the append path).</summary>
    public void ThrowIfBacklogFull()
    {
        var (segments, bytes) = _catalog.ArchiveBacklog;
        if (segments > _options.MaxArchiveBacklogSegments || bytes > _options.MaxArchiveBacklogBytes)
        {
            StorageInstruments.RecordBackpressure(BackpressureReason.ArchiveBacklog);
            throw new LogBackpressureException(
                BackpressureReason.ArchiveBacklog,
                Invariant($"{segments} sealed segment(s) ({bytes} bytes) wait for archival; appends resume once the archiver catches up."),
                TimeSpan.FromSeconds(1),
                new BackpressureBound(nameof(PartitionLogOptions.MaxArchiveBacklogSegments), _options.MaxArchiveBacklogSegments, "segments"),
                new BackpressureBound(nameof(PartitionLogOptions.MaxArchiveBacklogBytes), _options.MaxArchiveBacklogBytes, "bytes"));
        }
    }

    /// <summary>
    /// Heals a local sealed segment whose file turned out missing, cut short or damaged: when the archive holds a verified
    /// copy (the row is <see cref="SegmentStatus.Archived"/>, or the archive has an object of the recorded size), the local
    /// file is moved to <c>quarantine/</c>, the row becomes <see cref="SegmentStatus.LocalEvicted"/> and reads are served
    /// from the archive. Returns false when there is no copy: then a damaged file stays in place (its intact records are
    /// still served), a missing one is recorded as <see cref="SegmentStatus.Missing"/>, and the read fails with the typed error.
    /// </summary>
    public async Task<bool> HealAsync(SealedSegment segment, Exception failure, CancellationToken cancellationToken)
    {
        SegmentInfo? row;
        lock (_lock)
        {
            if (!_segments.Contains(segment))
            {
                // Someone else healed or evicted it already: look it up again.
                return true;
            }

            _catalog.TryGet(segment.BaseId, out row);
        }

        if (row is null)
        {
            return false;
        }

        var key = new ArchiveObjectKey(_dir.Log, _dir.Partition, row.FileName);
        ArchivedObjectInfo? copy = null;
        if (_archive is { } archive && row.Status is not SegmentStatus.Archived)
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
        lock (_lock)
        {
            if (!_segments.Remove(segment))
            {
                return true;
            }

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
            _catalog.Update(updated);
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

    private static string Invariant(FormattableString s) => s.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// What the archive holds at <paramref name="key"/>, or null when it holds nothing or only a damaged object (no or bad
    /// metadata, the wrong size: an upload cut off by a crash of the store leaves one). Both mean the local file is the
    /// only good copy: eviction keeps it, and the next put replaces the damaged object.
    /// </summary>
    private static async Task<ArchivedObjectInfo?> StoredOrDamagedAsync(ISegmentArchive archive, ArchiveObjectKey key, CancellationToken cancellationToken)
    {
        try
        {
            return await archive.GetInfoAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (ArchiveIntegrityException)
        {
            return null;
        }
    }

    [LoggerMessage(3, LogLevel.Warning, "Partition {Partition}: segment {Path} is damaged and was quarantined: {Detail}")]
    private static partial void LogQuarantined(ILogger logger, string partition, string path, string detail);

    [LoggerMessage(8, LogLevel.Information, "Partition {Partition}: archived segment {BaseId}..{LastId} ({StoredBytes} bytes stored)")]
    private static partial void LogArchived(ILogger logger, string partition, long baseId, long lastId, long storedBytes);

    [LoggerMessage(9, LogLevel.Warning, "Partition {Partition}: segment {BaseId} was not evicted: the archive holds {Stored} instead of the verified copy; it will be archived again")]
    private static partial void LogEvictionRefused(ILogger logger, string partition, long baseId, string stored);

    [LoggerMessage(10, LogLevel.Warning, "Partition {Partition}: segment {BaseId} failed a read ({Failure}); it is now {Status} (local file moved to {QuarantinedAt})")]
    private static partial void LogHealed(ILogger logger, string partition, long baseId, string failure, string status, string quarantinedAt);

    [LoggerMessage(11, LogLevel.Warning, "Partition {Partition}: healing segment {BaseId} from the archive failed: {Reason}")]
    private static partial void LogHealFailed(ILogger logger, string partition, long baseId, string reason);
}
