using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Catalog;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.Internal;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage;

public sealed partial class PartitionLog
{
    private static async Task<PartitionLog> OpenCoreAsync(PartitionDirectory dir, PartitionLogOptions options, PartitionLogEnvironment env, CancellationToken cancellationToken)
    {
        var fs = env.FileSystem;
        var logger = env.LoggerFactory.CreateLogger("OrleansAof.Storage.PartitionLog");
        var (lockFile, catalog, catalogProblem) = await Task.Run(
            () =>
            {
                dir.Create(fs);
                var taken = dir.AcquireLock(fs);
                try
                {
                    fs.DeleteFile(dir.PreallocatedFile);
                    return (taken, OpenCatalog(dir, fs, logger, out var problem), problem);
                }
                catch
                {
                    taken.Dispose();
                    throw;
                }
            },
            cancellationToken).ConfigureAwait(false);

        try
        {
            // The archive is asked only when local knowledge is incomplete: no catalog to trust, or no local segment
            // (a restore into an empty folder). An archive outage then never blocks an ordinary open.
            List<ArchivedObjectInfo>? remote = null;
            if (env.Archive is { } archive && (catalogProblem is not null || ListSegmentFiles(fs, dir).Count == 0))
            {
                remote = await ListArchiveAsync(archive, dir, cancellationToken).ConfigureAwait(false);
                if (remote.Count > 0 && ListSegmentFiles(fs, dir).Count == 0)
                {
                    // Restore: the newest archived segment becomes local again; it carries the last id and the producer table.
                    var newest = remote[^1];
                    await DownloadVerifiedAsync(archive, newest.Key, Path.Combine(dir.Segments, newest.Key.FileName), fs, durable: true, cancellationToken).ConfigureAwait(false);
                    LogRestored(logger, dir.FullName, remote.Count, newest.Key.FileName);
                }
            }

            return await Task.Run(() => Open(dir, options, env, lockFile, catalog, catalogProblem, remote), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            catalog.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    private static List<(long BaseId, string Path)> ListSegmentFiles(IFileSystem fs, PartitionDirectory dir)
    {
        var files = new List<(long BaseId, string Path)>();
        foreach (var path in fs.ListFiles(dir.Segments, "*" + SegmentFormat.SegmentExtension))
        {
            if (SegmentFormat.TryParseSegmentFileName(path, out var baseId))
            {
                files.Add((baseId, path));
            }
        }

        files.Sort(static (a, b) => a.BaseId.CompareTo(b.BaseId));
        return files;
    }

    private static async Task<List<ArchivedObjectInfo>> ListArchiveAsync(ISegmentArchive archive, PartitionDirectory dir, CancellationToken cancellationToken)
    {
        var objects = new List<ArchivedObjectInfo>();
        await foreach (var o in archive.ListAsync(dir.Log, dir.Partition, cancellationToken).ConfigureAwait(false))
        {
            if (SegmentFormat.TryParseSegmentFileName(o.Key.FileName, out _))
            {
                objects.Add(o);
            }
        }

        objects.Sort(static (a, b) => string.CompareOrdinal(a.Key.FileName, b.Key.FileName));
        return objects;
    }

    /// <summary>
    /// Downloads an archived segment to <paramref name="destination"/> through a temporary name, so a partial file never
    /// carries a segment name. With <paramref name="durable"/> the file and the rename are flushed to stable storage (a
    /// restored segment); without, they are left to the OS (a read cache, which only this process trusts: 64 MiB of
    /// fsync would otherwise cost as much as the download itself).
    /// </summary>
    internal static async Task DownloadVerifiedAsync(ISegmentArchive archive, ArchiveObjectKey key, string destination, IFileSystem fs, bool durable, CancellationToken cancellationToken)
    {
        var temp = destination + ".download";
        fs.DeleteFile(temp);
        await archive.DownloadAsync(key, temp, cancellationToken).ConfigureAwait(false);
        using (var file = fs.OpenFile(temp, FileMode.Open, FileAccess.ReadWrite))
        {
            var scan = SegmentScanner.ReadSealed(file, validateIndex: true);
            if (!scan.IsSealed)
            {
                throw new ArchiveIntegrityException(key.RelativeKey, "the downloaded object is not a sealed segment: " + (scan.HeaderError ?? scan.FooterError));
            }

            if (durable)
            {
                file.Flush(dataOnly: false);
            }
        }

        fs.MoveFile(temp, destination, overwrite: true);
        if (durable)
        {
            fs.FlushDirectory(Path.GetDirectoryName(destination)!);
        }
    }

    private static PartitionLog Open(PartitionDirectory dir, PartitionLogOptions options, PartitionLogEnvironment env, IStorageFile lockFile, SegmentCatalog catalog, string? catalogProblem, List<ArchivedObjectInfo>? remoteObjects)
    {
        var fs = env.FileSystem;
        var logger = env.LoggerFactory.CreateLogger("OrleansAof.Storage.PartitionLog");
        var cleanup = new List<IDisposable>();
        try
        {
            var files = ListSegmentFiles(fs, dir);
            var rows = catalog.ReadAll();
            var now = env.TimeProvider.GetUtcNow();
            var sealedList = new List<SealedSegment>();
            var quarantined = new List<SegmentInfo>();
            ActiveSegment? active = null;
            string? fault = null;
            var discarded = 0;
            long tornBytes = 0;
            long maxEpoch = dir.ReadEpoch(fs);
            var producers = new Dictionary<long, ProducerEntry>();

            for (var i = 0; i < files.Count; i++)
            {
                var (baseId, path) = files[i];
                var isLast = i == files.Count - 1;
                var file = fs.OpenFile(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
                var keepOpen = false;
                try
                {
                    var sealedScan = SegmentScanner.ReadSealed(file, validateIndex: false);
                    if (sealedScan.Header is { } h)
                    {
                        maxEpoch = Math.Max(maxEpoch, h.WriterEpoch);
                    }

                    if (sealedScan.IsSealed && sealedScan.Header is { } sh && sh.BaseId == baseId && sealedScan.Metadata!.Value.BaseId == baseId)
                    {
                        sealedList.Add(new SealedSegment(path, sh, sealedScan.Footer!.Value, sealedScan.Metadata.Value, sealedScan.FileLength));
                        producers = sealedScan.ProducerTable!.ToDictionary(static p => p.ProducerId);
                        continue;
                    }

                    var scan = SegmentScanner.ScanForward(file, options.MaxRecordBytes);
                    if (scan.Header is not { } header || header.BaseId != baseId)
                    {
                        if (isLast && scan.AllZero)
                        {
                            // A segment file created (or taken from preallocation) whose header never reached the disk.
                            file.Dispose();
                            fs.DeleteFile(path);
                            continue;
                        }

                        var detail = scan.HeaderError ?? $"header base id {scan.Header?.BaseId} does not match the file name";
                        if (isLast)
                        {
                            // The active segment: which ids it held is unknown, so none may be handed out again. It stays in
                            // place and the partition refuses appends until an operator decides.
                            fault = new SegmentCorruptedException(path, baseId, detail).Message;
                            var unknown = new SegmentHeader(SegmentFormat.Version, 0, SegmentFormat.PartitionHash(dir.FullName), baseId, 0, 0);
                            active = new ActiveSegment(file, unknown, now) { WriteOffset = file.Length };
                            keepOpen = true;
                            continue;
                        }

                        file.Dispose();
                        quarantined.Add(Quarantine(fs, dir, path, baseId, detail, logger));
                        continue;
                    }

                    if (scan.HasDamage)
                    {
                        var detail = $"damage at offset {scan.ValidEnd} ({scan.StopDetail}) inside data a later checkpoint at {scan.CheckpointAfterDamage} declares durable";
                        if (!isLast)
                        {
                            file.Dispose();
                            quarantined.Add(Quarantine(fs, dir, path, baseId, detail, logger));
                            continue;
                        }

                        // The active segment: serve the intact prefix, refuse appends until an operator decides.
                        fault = new SegmentCorruptedException(path, baseId, detail).Message;
                        active = ActiveFromScan(file, header, scan, scan.Records.Count, scan.ValidEnd, env.TimeProvider);
                        ApplyStamps(scan, scan.Records.Count, producers);
                        keepOpen = true;
                        continue;
                    }

                    var plan = RecoveryPlan.For(scan);
                    if (!isLast && baseId + plan.KeepRecords != files[i + 1].BaseId)
                    {
                        // The next segment was created only after this one was sealed and durable up to its base id - 1, so
                        // records this one should hold are missing: damage, not a torn tail. Keep its bytes as they are.
                        var detail = $"it holds ids {baseId}..{baseId + plan.KeepRecords - 1} but the next segment starts at {files[i + 1].BaseId} ({scan.FooterError}; scan stopped at offset {scan.ValidEnd}: {scan.StopDetail ?? scan.Stop.ToString()})";
                        file.Dispose();
                        quarantined.Add(Quarantine(fs, dir, path, baseId, detail, logger));
                        continue;
                    }

                    discarded += plan.DiscardedRecords;
                    if (scan.NonZeroEnd > plan.KeepEnd)
                    {
                        tornBytes += scan.NonZeroEnd - plan.KeepEnd;
                        ZeroRange(file, plan.KeepEnd, scan.NonZeroEnd);
                        file.Flush(dataOnly: true);
                    }

                    var recovered = ActiveFromScan(file, header, scan, plan.KeepRecords, plan.KeepEnd, env.TimeProvider);
                    ApplyStamps(scan, plan.KeepRecords, producers);
                    if (isLast)
                    {
                        active = recovered;
                        keepOpen = true;
                    }
                    else
                    {
                        // An unsealed segment that is not the last one: finish its seal now.
                        var s = SealSegment(recovered, SegmentFormat.ToUnixMicroseconds(now), path, producers);
                        sealedList.Add(s);
                    }
                }
                finally
                {
                    if (!keepOpen)
                    {
                        file.Dispose();
                    }
                }
            }

            var epoch = maxEpoch + 1;
            dir.WriteEpoch(fs, epoch);

            // Segments the catalog knows that are no longer local (evicted to the archive) still count for ids.
            var localIds = new HashSet<long>(sealedList.Select(static s => s.BaseId));
            if (active is not null)
            {
                localIds.Add(active.BaseId);
            }

            var stale = catalogProblem;
            var remote = rows.Where(r => r.Status == SegmentStatus.LocalEvicted && !localIds.Contains(r.BaseId)).ToList();
            var archivedFacts = new Dictionary<long, ArchivedObjectInfo>();
            if (remoteObjects is not null)
            {
                var knownBases = new SortedSet<long>(localIds.Concat(remote.Select(static r => r.BaseId)));
                foreach (var o in remoteObjects)
                {
                    knownBases.Add(BaseIdOf(o));
                }

                foreach (var o in remoteObjects)
                {
                    var b = BaseIdOf(o);
                    archivedFacts[b] = o;
                    if (localIds.Contains(b) || remote.Exists(r => r.BaseId == b))
                    {
                        continue;
                    }

                    var nextBase = knownBases.GetViewBetween(b + 1, long.MaxValue).Min;
                    if (nextBase == 0)
                    {
                        // The newest archived segment is not local: its last id is unknown without fetching it.
                        continue;
                    }

                    remote.Add(new SegmentInfo(b, nextBase - 1, nextBase - b, SegmentStatus.LocalEvicted, o.Original.Size, o.LastModified, o.LastModified, 0, 0, 0,
                        o.Original.Checksum, 0, o.Key.FileName, o.Key.RelativeKey, o.StoredSize, o.StoredChecksum));
                }

                remote.Sort(static (a, b) => a.BaseId.CompareTo(b.BaseId));
                stale ??= remote.Count > 0 ? "rebuilt with the archive listing" : null;
            }

            var nextId = 0L;
            foreach (var s in sealedList)
            {
                nextId = Math.Max(nextId, s.LastId + 1);
            }

            foreach (var r in remote)
            {
                nextId = Math.Max(nextId, r.LastId + 1);
            }

            if (active is not null && active.BaseId < nextId)
            {
                fault ??= $"the active segment starts at {active.BaseId} but sealed segments reach {nextId - 1}";
            }

            var firstId = long.TryParse(catalog.GetMeta("first_id"), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var storedFirst) ? storedFirst : 0;
            if (active is null)
            {
                var header = new SegmentHeader(SegmentFormat.Version, 0, SegmentFormat.PartitionHash(dir.FullName), nextId, SegmentFormat.ToUnixMicroseconds(now), epoch);
                active = CreateActive(fs, dir, header, options, preallocated: null);
            }

            cleanup.Add(active.File);

            // Reconcile the catalog with what is on disk.
            var merged = new List<SegmentInfo>();
            var byBase = rows.ToDictionary(static r => r.BaseId);
            foreach (var s in sealedList)
            {
                var fresh = SealedInfo(s, SegmentStatus.Sealed);
                if (byBase.TryGetValue(s.BaseId, out var row) && row.LastId == s.LastId && row.RecordCount == s.Count && row.DataChecksum == fresh.DataChecksum)
                {
                    var status = row.Status is SegmentStatus.Archiving or SegmentStatus.Archived ? row.Status : SegmentStatus.Sealed;
                    merged.Add(row with { Status = status, SizeBytes = fresh.SizeBytes });
                }
                else if (archivedFacts.TryGetValue(s.BaseId, out var facts) && facts.Original.Size == s.FileSize)
                {
                    merged.Add(fresh with
                    {
                        Status = SegmentStatus.Archived,
                        FileChecksum = facts.Original.Checksum,
                        ArchiveKey = facts.Key.RelativeKey,
                        ArchivedSizeBytes = facts.StoredSize,
                        ArchivedChecksum = facts.StoredChecksum,
                    });
                }
                else
                {
                    stale ??= $"missing or wrong for segment {s.BaseId}";
                    merged.Add(fresh);
                }
            }

            merged.AddRange(remote);
            merged.AddRange(quarantined);
            foreach (var r in rows.Where(r => r.Status == SegmentStatus.Quarantined && !quarantined.Exists(q => q.BaseId == r.BaseId)))
            {
                merged.Add(r);
            }

            foreach (var r in rows)
            {
                if (r.Status is SegmentStatus.Sealed or SegmentStatus.Archiving or SegmentStatus.Archived && !localIds.Contains(r.BaseId))
                {
                    stale ??= $"listing segment {r.BaseId} whose file is gone";
                }
            }

            var lastTs = active.LastTimestampMicros;
            foreach (var s in sealedList)
            {
                lastTs = Math.Max(lastTs, s.Metadata.LastTimestampMicros);
            }

            var state = new RecoveredState([.. sealedList], active, firstId, lastTs, fault, producers);
            var log = new PartitionLog(dir, options, env, catalog, lockFile, epoch, state);
            log.InitializeRows(merged);
            merged.Add(ActiveInfo(active));
            catalog.ReplaceAll(merged);
            if (stale is not null && (files.Count > 0 || rows.Count > 0 || remote.Count > 0))
            {
                // A brand-new partition has no catalog yet: that is not worth a warning.
                LogCatalogRebuilt(logger, dir.FullName, stale);
            }

            if (fault is not null)
            {
                LogFaulted(logger, dir.FullName, fault, null);
            }

            LogOpened(logger, dir.FullName, epoch, firstId, log.LastId, sealedList.Count, discarded, tornBytes);
            return log;
        }
        catch
        {
            foreach (var d in cleanup)
            {
                d.Dispose();
            }

            throw;
        }
    }

    /// <summary>The base id named by an archived object (listings are filtered to segment names).</summary>
    private static long BaseIdOf(ArchivedObjectInfo o) => SegmentFormat.TryParseSegmentFileName(o.Key.FileName, out var b) ? b : throw new InvalidDataException($"'{o.Key}' is not a segment name");

    [LoggerMessage(7, LogLevel.Warning, "Partition {Partition}: no local segment; restoring from the archive ({Count} archived segment(s), fetched the newest: {FileName})")]
    private static partial void LogRestored(ILogger logger, string partition, int count, string fileName);

    private static SegmentCatalog OpenCatalog(PartitionDirectory dir, IFileSystem fs, ILogger logger, out string? problem)
    {
        problem = File.Exists(dir.CatalogFile) ? null : "missing";
        try
        {
            return SegmentCatalog.Open(dir.CatalogFile, fs);
        }
        catch (Exception e) when (e is SqliteException or InvalidDataException)
        {
            problem = "unreadable (" + e.Message + ")";
            SqliteConnection.ClearAllPools();
            SegmentCatalog.Delete(dir.CatalogFile, fs);
            return SegmentCatalog.Open(dir.CatalogFile, fs);
        }
    }

    private static SegmentInfo Quarantine(IFileSystem fs, PartitionDirectory dir, string path, long baseId, string detail, ILogger logger)
    {
        var target = Path.Combine(dir.Quarantine, Path.GetFileName(path));
        fs.MoveFile(path, target, overwrite: true);
        fs.FlushDirectory(dir.Segments);
        LogQuarantined(logger, dir.FullName, target, detail);
        return new SegmentInfo(baseId, baseId - 1, 0, SegmentStatus.Quarantined, fs.GetFileLength(target), DateTimeOffset.UnixEpoch, null, 0, 0, 0, 0, 0, Path.GetFileName(path), null, 0, 0);
    }

    private static ActiveSegment ActiveFromScan(IStorageFile file, SegmentHeader header, SegmentScanResult scan, int keep, long end, TimeProvider time)
    {
        var active = new ActiveSegment(file, header, SegmentFormat.FromUnixMicroseconds(header.CreatedAtMicros)) { WriteOffset = end };
        var rolling = RollingChecksum.Empty;
        for (var i = 0; i < keep; i++)
        {
            var r = scan.Records[i];
            active.Offsets.Add(r.Offset);
            rolling = RollingChecksum.Next(rolling, r.Checksum);
            if (i == 0)
            {
                active.FirstTimestampMicros = r.TimestampMicros;
            }

            active.LastTimestampMicros = r.TimestampMicros;
            active.LastRecordStart = r.Offset;
            active.LastRecordEnd = r.End;
        }

        active.Rolling = rolling;
        _ = time;
        return active;
    }

    private static void ZeroRange(IStorageFile file, long from, long to)
    {
        var zeros = new byte[(int)Math.Min(1024 * 1024, to - from)];
        for (var pos = from; pos < to; pos += zeros.Length)
        {
            file.Write(pos, zeros.AsSpan(0, (int)Math.Min(zeros.Length, to - pos)));
        }
    }

    private static ActiveSegment CreateActive(IFileSystem fs, PartitionDirectory dir, SegmentHeader header, PartitionLogOptions options, string? preallocated)
    {
        var path = dir.SegmentPath(header.BaseId);
        IStorageFile file;
        if (preallocated is not null)
        {
            fs.MoveFile(preallocated, path, overwrite: false);
            file = fs.OpenFile(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        }
        else
        {
            var reserve = options.Preallocation is PreallocationMode.Reserve or PreallocationMode.Auto ? options.MaxSegmentBytes : 0;
            file = fs.OpenFile(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, reserve);
        }

        try
        {
            Span<byte> bytes = stackalloc byte[SegmentHeader.Size];
            header.WriteTo(bytes);
            file.Write(0, bytes);
            fs.FlushDirectory(dir.Segments);
            return new ActiveSegment(file, header, SegmentFormat.FromUnixMicroseconds(header.CreatedAtMicros));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Writes metadata, producer table, index and footer after the data of <paramref name="segment"/>, trims the file and fsyncs it.</summary>
    private static SealedSegment SealSegment(ActiveSegment segment, long sealedAtMicros, string path, Dictionary<long, ProducerEntry> producers)
    {
        var count = segment.Count;
        var dataEnd = segment.WriteOffset;
        var metadata = new SegmentMetadata(segment.BaseId, segment.LastId, count, segment.FirstTimestampMicros, segment.LastTimestampMicros, sealedAtMicros, segment.Rolling);
        var tableLength = ProducerTable.TotalSize(producers.Count);
        var indexLength = BinaryIndexHeader.TotalSize(count);
        var total = SegmentMetadata.Size + tableLength + indexLength + SegmentFooter.Size;
        var buffer = new byte[total];
        metadata.WriteTo(buffer);
        var tableCrc = ProducerTable.Write(buffer.AsSpan(SegmentMetadata.Size), producers.Values);
        var indexStart = (int)(SegmentMetadata.Size + tableLength);
        var index = buffer.AsSpan(indexStart, (int)indexLength);
        for (var i = 0; i < count; i++)
        {
            BinaryIndexHeader.WriteEntry(index[(BinaryIndexHeader.Size + (i * BinaryIndexHeader.EntrySize))..], segment.BaseId + i, segment.Offsets[i]);
        }

        var indexCrc = BinaryIndexHeader.Complete(index, count);
        var footer = new SegmentFooter(
            dataEnd, dataEnd, dataEnd + SegmentMetadata.Size, tableLength, dataEnd + indexStart, indexLength,
            BitConverterLe(buffer.AsSpan(4, 4)), tableCrc, indexCrc, segment.BaseId, SegmentFormat.Version);
        footer.WriteTo(buffer.AsSpan(indexStart + (int)indexLength));
        segment.File.Write(dataEnd, buffer);
        segment.File.SetLength(dataEnd + total);
        segment.File.Flush(dataOnly: false);
        return new SealedSegment(path, segment.Header, footer, metadata, dataEnd + total);
    }

    /// <summary>Applies the producer stamps of the first <paramref name="keep"/> records of a scan to <paramref name="producers"/>.</summary>
    private static void ApplyStamps(SegmentScanResult scan, int keep, Dictionary<long, ProducerEntry> producers)
    {
        var baseId = scan.Header!.Value.BaseId;
        foreach (var (stamp, _) in scan.Stamps)
        {
            var first = (int)(stamp.FirstId - baseId);
            if (first >= keep)
            {
                break;
            }

            var last = first;
            while (last < keep && (scan.Records[last].Flags & RecordFlags.BatchContinues) != 0)
            {
                last++;
            }

            producers[stamp.ProducerId] = new ProducerEntry(stamp.ProducerId, stamp.Sequence, stamp.FirstId, baseId + last);
        }
    }

    private static uint BitConverterLe(ReadOnlySpan<byte> bytes) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes);
}
