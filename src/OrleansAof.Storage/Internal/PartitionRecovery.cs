using Microsoft.Extensions.Logging;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// Recovery of one partition directory in two steps: <see cref="ScanLocal"/> makes the local files consistent (cuts torn
/// tails back to the acknowledged prefix, finishes interrupted seals, moves damaged files to <c>quarantine/</c>), and
/// <see cref="Reconcile"/> decides, without touching any file, what every id range is: local, evicted to the archive,
/// quarantined or missing. Every disagreement between the catalog, the files and the archive is resolved toward keeping
/// every record that any of them still holds, and a range none of them holds is reported, never dropped.
/// </summary>
internal static partial class PartitionRecovery
{
    public static LocalScan ScanLocal(IFileSystem fs, PartitionDirectory dir, PartitionLogOptions options, DateTimeOffset now, ILogger logger)
    {
        var scan = new LocalScan { MaxEpoch = dir.ReadEpoch(fs) };
        if (fs.DirectoryExists(dir.Quarantine))
        {
            foreach (var q in fs.ListFiles(dir.Quarantine, "*"))
            {
                scan.QuarantineFolder.Add(Path.GetFileName(q));
            }
        }

        var files = SegmentFiles.List(fs, dir);
        scan.FileCount = files.Count;
        var keepOpen = new List<IDisposable>();
        try
        {
            for (var i = 0; i < files.Count; i++)
            {
                var (baseId, path) = files[i];
                var isLast = i == files.Count - 1;
                var file = fs.OpenFile(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
                var keep = false;
                try
                {
                    keep = ScanFile(fs, dir, options, now, logger, scan, file, baseId, path, isLast, isLast ? null : files[i + 1].BaseId);
                }
                finally
                {
                    if (keep)
                    {
                        keepOpen.Add(file);
                    }
                    else
                    {
                        file.Dispose();
                    }
                }
            }

            return scan;
        }
        catch
        {
            foreach (var d in keepOpen)
            {
                d.Dispose();
            }

            throw;
        }
    }

    /// <summary>Recovers one segment file as <see cref="SegmentClassifier"/> decides; returns whether the file stays open (the active segment).</summary>
    private static bool ScanFile(IFileSystem fs, PartitionDirectory dir, PartitionLogOptions options, DateTimeOffset now, ILogger logger, LocalScan result, IStorageFile file, long baseId, string path, bool isLast, long? nextBaseId)
    {
        var verdict = SegmentClassifier.Classify(file, baseId, isLast, nextBaseId, options.MaxRecordBytes);
        if (verdict.WriterEpoch is { } epoch)
        {
            result.MaxEpoch = Math.Max(result.MaxEpoch, epoch);
        }

        var scan = verdict.Scan;
        switch (verdict.Action)
        {
            case SegmentAction.UseSealed:
                var probe = verdict.Probe;
                result.Sealed.Add(new SealedSegment(path, probe.Header!.Value, probe.Footer!.Value, probe.Metadata!.Value, probe.FileLength));
                result.Producers = probe.ProducerTable!.ToDictionary(static p => p.ProducerId);
                return false;

            case SegmentAction.Delete:
                // The catalog records a segment only after its header is durable, so no row names this file.
                file.Dispose();
                fs.DeleteFile(path);
                fs.FlushDirectory(dir.Segments);
                return false;

            case SegmentAction.Quarantine:
                file.Dispose();
                result.Quarantined.Add(QuarantineAtOpen(fs, dir, path, baseId, nextBaseId!.Value - 1, verdict.Detail, logger));
                return false;

            case SegmentAction.OpenFaulted when scan!.Header is { } header && header.BaseId == baseId:
                // Damage in the active segment: serve the intact prefix, refuse appends until an operator decides.
                result.Fault = new SegmentCorruptedException(path, baseId, verdict.Detail).Message;
                result.Active = SegmentFiles.ActiveFromScan(file, header, scan, scan.Records.Count, scan.ValidEnd);
                SegmentFiles.ApplyStamps(scan, scan.Records.Count, result.Producers);
                return true;

            case SegmentAction.OpenFaulted:
                // A damaged header in the active segment: which ids it held is unknown, so none may be handed out again.
                result.Fault = new SegmentCorruptedException(path, baseId, verdict.Detail).Message;
                var unknown = new SegmentHeader(SegmentFormat.Version, 0, SegmentFormat.PartitionHash(dir.FullName), baseId, 0, 0);
                result.Active = new ActiveSegment(file, unknown, now) { WriteOffset = file.Length };
                return true;
        }

        // KeepActive or SealNow: cut the torn tail back to the acknowledged prefix.
        var plan = verdict.Plan!.Value;
        result.Discarded += plan.DiscardedRecords;
        if (scan!.NonZeroEnd > plan.KeepEnd)
        {
            result.TornBytes += scan.NonZeroEnd - plan.KeepEnd;
            SegmentFiles.ZeroRange(file, plan.KeepEnd, scan.NonZeroEnd);
            file.Flush(dataOnly: true);
        }

        var recovered = SegmentFiles.ActiveFromScan(file, scan.Header!.Value, scan, plan.KeepRecords, plan.KeepEnd);
        SegmentFiles.ApplyStamps(scan, plan.KeepRecords, result.Producers);
        if (verdict.Action == SegmentAction.KeepActive)
        {
            result.Active = recovered;
            return true;
        }

        // An interrupted rollover: finish the seal now.
        result.Sealed.Add(SegmentFiles.Seal(recovered, SegmentFormat.ToUnixMicroseconds(now), path, result.Producers));
        return false;
    }

    private static SegmentInfo QuarantineAtOpen(IFileSystem fs, PartitionDirectory dir, string path, long baseId, long lastId, string detail, ILogger logger)
    {
        var target = SegmentFiles.Quarantine(fs, dir, path);
        LogQuarantined(logger, dir.FullName, target, detail);
        return QuarantinedRow(baseId, lastId, fs.GetFileLength(target), Path.GetFileName(path));
    }

    /// <summary>The catalog row of a quarantined segment (ids <paramref name="baseId"/>..<paramref name="lastId"/>, which are not served).</summary>
    public static SegmentInfo QuarantinedRow(long baseId, long lastId, long size, string fileName) =>
        new(baseId, lastId, Math.Max(0, lastId - baseId + 1), SegmentStatus.Quarantined, size, DateTimeOffset.UnixEpoch, null, 0, 0, 0, 0, 0, fileName, null, 0, 0);

    /// <summary>The catalog row of ids that no local file, quarantined file or archived object holds.</summary>
    public static SegmentInfo MissingRow(long baseId, long lastId) =>
        new(baseId, lastId, lastId - baseId + 1, SegmentStatus.Missing, 0, DateTimeOffset.UnixEpoch, null, 0, 0, 0, 0, 0, PartitionLayout.SegmentFileName(baseId), null, 0, 0);

    /// <summary>The catalog row of a sealed segment held locally.</summary>
    public static SegmentInfo ActiveRow(ActiveSegment a) => new(
        a.BaseId, a.LastId, a.Count, SegmentStatus.Active, a.WriteOffset, a.CreatedAt, null, a.FirstTimestampMicros, a.LastTimestampMicros,
        a.Rolling, 0, a.Header.WriterEpoch, PartitionLayout.SegmentFileName(a.BaseId), null, 0, 0);

    public static SegmentInfo SealedRow(SealedSegment s, SegmentStatus status) => new(
        s.BaseId, s.LastId, s.Count, status, s.FileSize, SegmentFormat.FromUnixMicroseconds(s.Header.CreatedAtMicros),
        SegmentFormat.FromUnixMicroseconds(s.Metadata.SealedAtMicros), s.Metadata.FirstTimestampMicros, s.Metadata.LastTimestampMicros,
        s.Metadata.DataChecksum, 0, s.Header.WriterEpoch, PartitionLayout.SegmentFileName(s.BaseId), null, 0, 0);

    /// <summary>A row for an archived object (ids <paramref name="baseId"/>..<paramref name="lastId"/>) whose local file is gone.</summary>
    private static SegmentInfo EvictedRow(ArchivedObjectInfo o, long baseId, long lastId) => new(
        baseId, lastId, lastId - baseId + 1, SegmentStatus.LocalEvicted, o.Original.Size, o.LastModified, o.LastModified, 0, 0, 0,
        o.Original.Checksum, 0, o.Key.FileName, o.Key.RelativeKey, o.StoredSize, o.StoredChecksum);

    private static SegmentInfo WithFacts(SegmentInfo row, ArchivedObjectInfo o, SegmentStatus status) => row with
    {
        Status = status,
        FileChecksum = o.Original.Checksum,
        ArchiveKey = o.Key.RelativeKey,
        ArchivedSizeBytes = o.StoredSize,
        ArchivedChecksum = o.StoredChecksum,
    };

    /// <summary>The base id named by an archived object (listings are filtered to segment names).</summary>
    public static long BaseIdOf(ArchivedObjectInfo o) =>
        PartitionLayout.TryParseSegmentFileName(o.Key.FileName, out var b) ? b : throw new InvalidDataException($"'{o.Key}' is not a segment name");

    /// <summary>
    /// Decides every segment's row from the local scan, the catalog's rows and, when given, the archive listing. Touches no
    /// file. When the local files and the catalog leave ids unaccounted for and <paramref name="listing"/> is null while an
    /// archive is configured, the result says <see cref="Reconciliation.NeedsListing"/>: call again with the listing.
    /// </summary>
    /// <param name="local">What the local files hold.</param>
    /// <param name="rows">The catalog's rows (empty when the catalog was missing or unreadable).</param>
    /// <param name="firstId">The catalog's first id (moved by retention), or null when unknown.</param>
    /// <param name="listing">The archive's objects of this partition, by base id, or null when not listed.</param>
    /// <param name="archiveConfigured">Whether an archive can be listed.</param>
    public static Reconciliation Reconcile(LocalScan local, IReadOnlyList<SegmentInfo> rows, long? firstId, IReadOnlyList<ArchivedObjectInfo>? listing, bool archiveConfigured)
    {
        var result = new Reconciliation { Fault = local.Fault };
        var merged = new SortedDictionary<long, SegmentInfo>();
        var localBases = new HashSet<long>();
        var archived = new Dictionary<long, ArchivedObjectInfo>();
        if (listing is not null)
        {
            foreach (var o in listing)
            {
                archived[BaseIdOf(o)] = o;
            }
        }

        var byBase = new Dictionary<long, SegmentInfo>();
        foreach (var r in rows)
        {
            byBase[r.BaseId] = r;
        }

        // 1. Sealed segments held locally: the file is the truth; the row keeps the archival progress when it matches.
        foreach (var s in local.Sealed)
        {
            localBases.Add(s.BaseId);
            var fresh = SealedRow(s, SegmentStatus.Sealed);
            if (byBase.TryGetValue(s.BaseId, out var row) && row.LastId == s.LastId && row.RecordCount == s.Count && row.DataChecksum == fresh.DataChecksum)
            {
                var status = row.Status switch
                {
                    SegmentStatus.Archiving or SegmentStatus.Archived => row.Status,

                    // An eviction recorded before its file was deleted (a crash in between): the file is still good.
                    SegmentStatus.LocalEvicted => SegmentStatus.Archived,
                    _ => SegmentStatus.Sealed,
                };
                merged[s.BaseId] = row with { Status = status, SizeBytes = fresh.SizeBytes };
            }
            else if (archived.TryGetValue(s.BaseId, out var facts) && facts.Original.Size == s.FileSize)
            {
                merged[s.BaseId] = WithFacts(fresh, facts, SegmentStatus.Archived);
            }
            else
            {
                if (row is not null)
                {
                    result.Findings.Add($"the catalog row of segment {s.BaseId} did not match its file");
                }

                merged[s.BaseId] = fresh;
            }
        }

        var active = local.Active;
        if (active is not null)
        {
            localBases.Add(active.BaseId);
        }

        foreach (var q in local.Quarantined)
        {
            // Damaged here, but a verified copy in the archive still serves its records.
            localBases.Add(q.BaseId);
            if (byBase.TryGetValue(q.BaseId, out var row) && row.Status is SegmentStatus.Archived or SegmentStatus.LocalEvicted && row.LastId == q.LastId)
            {
                merged[q.BaseId] = row with { Status = SegmentStatus.LocalEvicted };
            }
            else if (archived.TryGetValue(q.BaseId, out var o))
            {
                merged[q.BaseId] = WithFacts(q, o, SegmentStatus.LocalEvicted);
            }
            else
            {
                result.NeedsListing |= listing is null && archiveConfigured;
                merged[q.BaseId] = q;
            }
        }

        // 2. Rows whose file is not in segments/.
        foreach (var row in rows)
        {
            if (localBases.Contains(row.BaseId))
            {
                continue;
            }

            switch (row.Status)
            {
                case SegmentStatus.Quarantined:
                case SegmentStatus.LocalEvicted:
                    merged[row.BaseId] = row;
                    break;
                case SegmentStatus.Archived:
                    // Verified in the archive when it was marked: serve it from there.
                    merged[row.BaseId] = row with { Status = SegmentStatus.LocalEvicted };
                    result.Findings.Add($"segment {row.BaseId} is archived but its local file is gone; its records are read from the archive");
                    break;
                case SegmentStatus.Active when row.LastId < row.BaseId && active is not null && active.BaseId > row.BaseId:
                    // An active row that a later segment superseded; whether it held records is settled by the id coverage below.
                    break;
                case SegmentStatus.Active:
                    if (active is null || active.BaseId < row.BaseId)
                    {
                        result.LostActiveBaseId = Math.Max(result.LostActiveBaseId ?? row.BaseId, row.BaseId);
                        result.Fault ??= $"the active segment {row.FileName} the catalog records is missing: ids from {row.BaseId} may have been acknowledged and none of them may be handed out again (see 'aof restore')";
                    }

                    break;
                default:
                    // Sealed, Archiving or Missing without a local file: only the archive can still hold it.
                    if (archived.TryGetValue(row.BaseId, out var o))
                    {
                        merged[row.BaseId] = WithFacts(row, o, SegmentStatus.LocalEvicted);
                        result.Findings.Add($"segment {row.BaseId} is not on local disk; the archive holds it and its records are read from there");
                    }
                    else if (listing is null && archiveConfigured)
                    {
                        result.NeedsListing = true;
                        merged[row.BaseId] = row;
                    }
                    else if (local.QuarantineFolder.Contains(row.FileName))
                    {
                        merged[row.BaseId] = row with { Status = SegmentStatus.Quarantined };
                    }
                    else
                    {
                        merged[row.BaseId] = MissingRow(row.BaseId, row.LastId);
                        if (row.Status != SegmentStatus.Missing)
                        {
                            result.Findings.Add($"segment {row.BaseId} (ids {row.BaseId}..{row.LastId}) is in the catalog but neither on local disk nor in the archive: its records cannot be served");
                        }
                    }

                    break;
            }
        }

        // 3. Archived objects nobody else knows: evicted segments whose rows were lost with the catalog.
        if (listing is not null)
        {
            var knownBases = new SortedSet<long>(merged.Keys);
            knownBases.UnionWith(localBases);
            knownBases.UnionWith(archived.Keys);
            foreach (var (b, o) in archived)
            {
                if (merged.ContainsKey(b) || localBases.Contains(b))
                {
                    continue;
                }

                var nextBase = knownBases.GetViewBetween(b + 1, long.MaxValue).Min;
                if (nextBase == 0)
                {
                    // The newest archived object and nothing local after it: its last id is unknown without fetching it.
                    // (Restore fetches the newest object before recovery, so this happens only for leftovers of retention.)
                    continue;
                }

                merged[b] = EvictedRow(o, b, nextBase - 1);
            }
        }

        // 4. The first id: the catalog's (moved by retention), else the lowest segment any source knows.
        var lowest = merged.Count > 0 ? merged.Keys.First() : active?.BaseId ?? 0;
        if (active is not null)
        {
            lowest = Math.Min(lowest, active.BaseId);
        }

        if (firstId is null && lowest > 0 && listing is null && archiveConfigured)
        {
            // Ids below the first local segment were either removed by retention or evicted: only the archive knows.
            result.NeedsListing = true;
        }

        result.FirstId = firstId ?? lowest;

        // 5. Every id from the first to the active segment must be held somewhere; a range nobody holds is Missing.
        var expected = result.FirstId;
        var gaps = new List<(long From, long To)>();
        foreach (var row in merged.Values)
        {
            var last = row.Status == SegmentStatus.Quarantined && row.LastId < row.BaseId ? row.BaseId : row.LastId;
            if (last < result.FirstId)
            {
                continue;
            }

            if (row.BaseId > expected)
            {
                gaps.Add((expected, row.BaseId - 1));
            }

            expected = Math.Max(expected, last + 1);
        }

        if (active is not null && active.BaseId > expected && result.LostActiveBaseId is null)
        {
            gaps.Add((expected, active.BaseId - 1));
        }

        if (gaps.Count > 0 && listing is null && archiveConfigured)
        {
            result.NeedsListing = true;
        }
        else
        {
            foreach (var (from, to) in gaps)
            {
                merged[from] = MissingRow(from, to);
                result.Findings.Add($"ids {from}..{to} are held by no local segment, catalog row or archived object: their records cannot be served");
            }
        }

        result.NextId = expected;
        result.Rows.AddRange(merged.Values);
        return result;
    }

    [LoggerMessage(3, LogLevel.Warning, "Partition {Partition}: segment {Path} is damaged and was quarantined: {Detail}")]
    private static partial void LogQuarantined(ILogger logger, string partition, string path, string detail);
}
