// Over 600 lines on purpose: one read-only walk of a partition (find, classify through SegmentClassifier, report gaps,
// quarantine and the writer lock) that `aof inspect`, `verify` and `repair` share; its parts only make sense together.
using System.Buffers.Binary;
using Microsoft.Data.Sqlite;
using OrleansAof.Storage.Catalog;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.Internal;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Offline;

/// <summary>
/// Looks at partition directories without opening them: finds the partitions under a data root, a log folder, a
/// partition folder or a single segment file, and reports every segment the way recovery would see it (sealed, active,
/// torn tail with what recovery would cut, damage with its proof, damaged header), plus quarantined files, id gaps or
/// overlaps between segments and whether a writer holds the partition. With <see cref="InspectionOptions.Verify"/> every
/// checksum is checked, of sealed segments too.
/// </summary>
/// <remarks>
/// Nothing is written: segment files are opened for reading, the catalog read-only, and the writer lock is only probed
/// with a shared lock for an instant. A partition whose writer is running can be inspected; its active segment is then a
/// snapshot that may end in a write in progress.
/// </remarks>
public sealed class PartitionInspector
{
    private readonly IFileSystem _fs;
    private readonly InspectionOptions _options;

    /// <summary>Creates an inspector.</summary>
    /// <param name="options">What to check; defaults when <see langword="null"/>.</param>
    /// <param name="fileSystem">The file system; the real one when <see langword="null"/>.</param>
    public PartitionInspector(InspectionOptions? options = null, IFileSystem? fileSystem = null)
    {
        _options = options ?? new InspectionOptions();
        _fs = fileSystem ?? PhysicalFileSystem.Instance;
        if (_options.MaxRecordBytes <= 0)
        {
            throw new InvalidLogOptionsException("InspectionOptions.MaxRecordBytes", "must be positive.");
        }
    }

    /// <summary>
    /// Inspects every partition found at <paramref name="path"/>: a data root (<c>{root}/{log}/{partition}</c>), a log
    /// folder, a partition folder, its <c>segments</c> folder or one segment file (then only that file is reported).
    /// </summary>
    /// <param name="path">Where to look.</param>
    /// <param name="progress">Receives bytes of segment files done and in total; reported after each file.</param>
    /// <param name="cancellationToken">Stops between files.</param>
    /// <exception cref="FileNotFoundException">The path does not exist, or holds no partition.</exception>
    public InspectionReport Inspect(string path, IProgress<InspectionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var targets = FindPartitions(full);
        long total = 0;
        foreach (var (dir, only) in targets)
        {
            foreach (var (_, file) in ListSegments(dir))
            {
                if (only is null || file == only)
                {
                    total += _fs.GetFileLength(file);
                }
            }
        }

        var counter = new ProgressCounter(progress, total);
        counter.Report(null);
        var partitions = new List<PartitionReport>();
        foreach (var (dir, only) in targets)
        {
            partitions.Add(InspectPartition(dir, only, counter, cancellationToken));
        }

        return new InspectionReport { Path = full, Verified = _options.Verify, Partitions = partitions, BytesRead = counter.Done };
    }

    /// <summary>Inspects one partition directory.</summary>
    /// <exception cref="FileNotFoundException">The directory has no <c>segments</c> folder.</exception>
    public PartitionReport InspectPartition(string partitionDirectory, IProgress<InspectionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(partitionDirectory);
        var dir = Path.GetFullPath(partitionDirectory);
        if (!_fs.DirectoryExists(PartitionLayout.SegmentsOf(dir)))
        {
            throw new FileNotFoundException($"'{dir}' is not a partition directory (it has no '{PartitionLayout.SegmentsFolder}' folder).", dir);
        }

        long total = 0;
        foreach (var (_, file) in ListSegments(dir))
        {
            total += _fs.GetFileLength(file);
        }

        return InspectPartition(dir, null, new ProgressCounter(progress, total), cancellationToken);
    }

    internal List<(long BaseId, string Path)> ListSegments(string partitionDirectory)
    {
        var files = new List<(long BaseId, string Path)>();
        foreach (var file in _fs.ListFiles(PartitionLayout.SegmentsOf(partitionDirectory), PartitionLayout.SegmentFilePattern))
        {
            if (PartitionLayout.TryParseSegmentFileName(file, out var baseId))
            {
                files.Add((baseId, file));
            }
        }

        files.Sort(static (a, b) => a.BaseId.CompareTo(b.BaseId));
        return files;
    }

    /// <summary>
    /// Analyzes one segment file with recovery's own decision (<see cref="SegmentClassifier"/>), adding what an operator
    /// needs to see (the proof of damage, what a cut loses); when verifying, checks every checksum too.
    /// </summary>
    internal SegmentAnalysis Analyze(string path, long baseId, bool isLast, long? nextBaseId, bool verify)
    {
        using var file = _fs.OpenFile(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var name = Path.GetFileName(path);
        var verdict = SegmentClassifier.Classify(file, baseId, isLast, nextBaseId, _options.MaxRecordBytes);
        if (verdict.Action == SegmentAction.UseSealed)
        {
            return verify ? VerifySealed(file, name, baseId, isLast, verdict.Probe) : QuickSealed(file, name, baseId, isLast, verdict.Probe);
        }

        var scan = verdict.Scan!;
        var common = new SegmentReport
        {
            FileName = name,
            Path = path,
            BaseId = baseId,
            IsLast = isLast,
            Condition = verdict.Condition,
            Detail = verdict.Detail,
            FileSize = scan.FileLength,
            FooterError = verdict.Probe.FooterError,
            Scanned = true,
        };

        if (scan.Header is not { } header || header.BaseId != baseId)
        {
            var report = Copy(common, verdict.Condition, verdict.Detail, baseId - 1, 0, 0);
            return new SegmentAnalysis(verdict.Condition == SegmentCondition.HeaderDamaged ? report with { WriterEpoch = scan.Header?.WriterEpoch } : report, scan, null);
        }

        var plan = verdict.Plan!.Value;
        var facts = WithScanFacts(common, scan, header);
        if (scan.HasDamage)
        {
            var proofOffset = scan.CheckpointAfterDamage!.Value;
            var proofCheckpoint = ReadCheckpoint(file, proofOffset);
            var cut = Cut(scan, plan, baseId);
            var surveyedLast = SurveyLastId(file, scan.ValidEnd + SegmentFormat.Alignment, scan.NonZeroEnd, _options.MaxRecordBytes);
            var lostLast = Max(Max(proofCheckpoint?.LastId, surveyedLast), scan.Records.Count > 0 ? scan.Records[^1].Id : null);
            var lostFirst = cut.LastKeptId + 1;
            var damage = new SegmentDamage(
                scan.ValidEnd,
                scan.StopDetail ?? "invalid frame",
                $"a valid checkpoint at offset {proofOffset} after it declares ids through {proofCheckpoint?.LastId} durable",
                proofOffset,
                proofCheckpoint?.LastId,
                cut,
                lostLast >= lostFirst ? lostFirst : null,
                lostLast >= lostFirst ? lostLast : null);
            return new SegmentAnalysis(facts with { Damage = damage, RecordCount = scan.Records.Count, LastId = baseId + scan.Records.Count - 1, Problems = [verdict.Detail] }, scan, plan);
        }

        var tail = Cut(scan, plan, baseId);
        if (verdict.Condition == SegmentCondition.Damaged)
        {
            // Records missing before the next segment: the ids between what this file holds and the next base are lost here.
            var damage = new SegmentDamage(scan.ValidEnd, scan.StopDetail ?? "the data ends early", $"the next segment starts at {nextBaseId}", null, null, tail, tail.LastKeptId + 1, nextBaseId - 1);
            return new SegmentAnalysis(facts with { Damage = damage, RecordCount = plan.KeepRecords, LastId = tail.LastKeptId, Problems = [verdict.Detail] }, scan, plan);
        }

        var problems = new List<string>();
        if (verify && scan.Records.Count > 0)
        {
            CompareBackward(file, scan.Records, scan.Records[^1].End, problems);
        }

        var report2 = facts with { RecordCount = plan.KeepRecords, LastId = tail.LastKeptId, DataEnd = plan.KeepEnd, Problems = problems };
        if (problems.Count > 0)
        {
            report2 = report2 with
            {
                Condition = SegmentCondition.Damaged,
                Detail = problems[0],
                Damage = new SegmentDamage(SegmentHeader.Size, problems[0], "the forward scan accepted these records", null, null, null, null, null),
            };
        }
        else if (verdict.Condition == SegmentCondition.TornTail)
        {
            report2 = report2 with { TornTail = tail, Detail = $"{verdict.Detail} and zeroes {tail.ZeroedBytes} byte(s)" };
        }

        return new SegmentAnalysis(report2, scan, plan);
    }

    private PartitionReport InspectPartition(string dir, string? only, ProgressCounter counter, CancellationToken cancellationToken)
    {
        var segmentsFiles = ListSegments(dir);
        var lockFile = Path.Combine(dir, PartitionLayout.LockFileName);
        var locked = IsLocked(lockFile);
        var epoch = PartitionDirectory.ReadEpoch(_fs, Path.Combine(dir, PartitionLayout.EpochFileName));
        var (rows, catalogProblem) = ReadCatalog(Path.Combine(dir, PartitionLayout.CatalogFileName));

        var reports = new List<SegmentReport>();
        for (var i = 0; i < segmentsFiles.Count; i++)
        {
            var (baseId, file) = segmentsFiles[i];
            if (only is not null && file != only)
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            counter.Report(file);
            reports.Add(Analyze(file, baseId, i == segmentsFiles.Count - 1, i + 1 < segmentsFiles.Count ? segmentsFiles[i + 1].BaseId : null, _options.Verify).Report);
            counter.Add(_fs.GetFileLength(file), file);
        }

        var quarantinedRows = rows.Where(static r => r.Status == SegmentStatus.Quarantined).ToList();
        var quarantined = new List<QuarantinedFile>();
        var quarantineDir = PartitionLayout.QuarantineOf(dir);
        if (_fs.DirectoryExists(quarantineDir))
        {
            foreach (var q in _fs.ListFiles(quarantineDir, "*"))
            {
                var name = Path.GetFileName(q);
                long? qBase = PartitionLayout.TryParseSegmentFileName(name, out var b) ? b : null;
                quarantined.Add(new QuarantinedFile(name, qBase, _fs.GetFileLength(q), quarantinedRows.Exists(r => r.FileName == name)));
            }
        }

        var localBases = new HashSet<long>(segmentsFiles.Select(static s => s.BaseId));
        var evicted = rows.Where(r => r.Status == SegmentStatus.LocalEvicted && !localBases.Contains(r.BaseId))
            .Select(static r => new EvictedSegment(r.BaseId, r.LastId, r.ArchiveKey)).ToList();

        // Rows that name ids no local file holds although the catalog does not say they live in the archive only: a file
        // deleted from outside, an interrupted eviction, or ids recovery already recorded as missing. Never clean.
        var withoutFile = only is not null ? [] : rows
            .Where(r => r.Status is SegmentStatus.Sealed or SegmentStatus.Archiving or SegmentStatus.Archived or SegmentStatus.Missing && !localBases.Contains(r.BaseId))
            .Select(static r => new CatalogOnlySegment(r.BaseId, r.LastId, r.Status.ToString(), r.FileName, r.Status switch
            {
                SegmentStatus.Archived => "the local file is gone; the archive holds a verified copy, so the next open serves these ids from the archive",
                SegmentStatus.Missing => "no local file and no archived object hold these ids: they cannot be served (recorded by recovery or by an operator's decision)",
                _ => "the local file is gone and the segment was never recorded as archived: the next open asks the archive, and the ids are lost if it does not hold them",
            }))
            .ToList();
        var continuity = only is null ? Continuity(reports, [.. evicted, .. withoutFile.Select(static w => new EvictedSegment(w.BaseId, w.LastId, null))], quarantinedRows) : [];

        var health = PartitionHealth.Clean;
        foreach (var r in reports)
        {
            if (r.Condition is SegmentCondition.Damaged or SegmentCondition.HeaderDamaged)
            {
                health = PartitionHealth.Damaged;
            }
            else if (r.Condition == SegmentCondition.TornTail && health == PartitionHealth.Clean)
            {
                health = PartitionHealth.TornTail;
            }
        }

        if (continuity.Exists(static c => !c.Quarantined) || withoutFile.Count > 0)
        {
            health = PartitionHealth.Damaged;
        }

        long? lastId = null;
        foreach (var r in reports)
        {
            if (r.Condition != SegmentCondition.HeaderDamaged && r.LastId >= r.BaseId)
            {
                lastId = Max(lastId, r.LastId);
            }
        }

        foreach (var e in evicted)
        {
            lastId = Max(lastId, e.LastId);
        }

        return new PartitionReport
        {
            Path = dir,
            Log = Path.GetFileName(Path.GetDirectoryName(dir)) ?? "",
            Partition = Path.GetFileName(dir),
            Health = health,
            Locked = locked,
            WriterEpoch = epoch,
            FirstLocalId = reports.Count > 0 ? reports[0].BaseId : null,
            LastId = lastId,
            Segments = reports,
            Evicted = evicted,
            WithoutFile = withoutFile,
            Quarantined = quarantined,
            Continuity = continuity,
            CatalogProblem = catalogProblem,
            TotalBytes = reports.Sum(static r => r.FileSize),
            TotalRecords = reports.Sum(static r => r.RecordCount),
        };
    }

    private List<(string Directory, string? OnlyFile)> FindPartitions(string full)
    {
        if (File.Exists(full))
        {
            if (!PartitionLayout.TryParseSegmentFileName(full, out _))
            {
                throw new FileNotFoundException($"'{full}' is not a segment file (expected a name like {PartitionLayout.SegmentFileName(0)}).", full);
            }

            var segmentsDir = Path.GetDirectoryName(full)!;
            return [(Path.GetDirectoryName(segmentsDir)!, full)];
        }

        if (!Directory.Exists(full))
        {
            throw new FileNotFoundException($"'{full}' does not exist.", full);
        }

        if (IsPartition(full))
        {
            return [(full, null)];
        }

        if (Path.GetFileName(full) == PartitionLayout.SegmentsFolder)
        {
            return [(Path.GetDirectoryName(full)!, null)];
        }

        var found = new List<(string, string?)>();
        foreach (var child in Sorted(Directory.GetDirectories(full)))
        {
            if (IsPartition(child))
            {
                found.Add((child, null));
                continue;
            }

            foreach (var grandchild in Sorted(Directory.GetDirectories(child)))
            {
                if (IsPartition(grandchild))
                {
                    found.Add((grandchild, null));
                }
            }
        }

        if (found.Count == 0)
        {
            throw new FileNotFoundException($"No partition found under '{full}' (a partition directory has a '{PartitionLayout.SegmentsFolder}' folder; looked in the folder, its children and grandchildren).", full);
        }

        return found;
    }

    private bool IsPartition(string dir) => _fs.DirectoryExists(PartitionLayout.SegmentsOf(dir));

    private static string[] Sorted(string[] items)
    {
        Array.Sort(items, StringComparer.Ordinal);
        return items;
    }

    /// <summary>Probes the writer lock with a shared lock: it fails only while a writer holds the exclusive one.</summary>
    private bool IsLocked(string lockFile)
    {
        if (!_fs.FileExists(lockFile))
        {
            return false;
        }

        try
        {
            using var probe = _fs.OpenFile(lockFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private (List<SegmentInfo> Rows, string? Problem) ReadCatalog(string catalogFile)
    {
        if (!_fs.FileExists(catalogFile))
        {
            return ([], "missing (the next open rebuilds it from the segment files)");
        }

        try
        {
            using var catalog = SegmentCatalog.OpenReadOnly(catalogFile);
            return (catalog.ReadAll(), null);
        }
        catch (Exception e) when (e is SqliteException or InvalidDataException or InvalidCastException)
        {
            return ([], "unreadable (" + e.Message + "); the next open rebuilds it");
        }
    }

    private static List<ContinuityProblem> Continuity(List<SegmentReport> reports, List<EvictedSegment> evicted, List<SegmentInfo> quarantinedRows)
    {
        var spans = new List<(long BaseId, long? LastId, string Name)>();
        foreach (var r in reports)
        {
            spans.Add((r.BaseId, r.Condition == SegmentCondition.HeaderDamaged ? null : r.LastId, r.FileName));
        }

        foreach (var e in evicted)
        {
            spans.Add((e.BaseId, e.LastId, PartitionLayout.SegmentFileName(e.BaseId)));
        }

        spans.Sort(static (a, b) => a.BaseId.CompareTo(b.BaseId));
        var problems = new List<ContinuityProblem>();
        long? expected = null;
        foreach (var (baseId, last, name) in spans)
        {
            if (expected is { } e && baseId != e)
            {
                var kind = baseId > e ? ContinuityKind.Gap : ContinuityKind.Overlap;
                var covered = kind == ContinuityKind.Gap && Covered(e, baseId - 1, quarantinedRows);
                problems.Add(new ContinuityProblem(kind, e, baseId, name, covered));
            }

            expected = last is { } l ? Math.Max(l + 1, baseId) : null;
        }

        return problems;
    }

    /// <summary>Whether quarantined catalog rows cover every id of [from, to].</summary>
    private static bool Covered(long from, long to, List<SegmentInfo> quarantinedRows)
    {
        var next = from;
        foreach (var q in quarantinedRows.OrderBy(static q => q.BaseId))
        {
            if (q.BaseId <= next && q.LastId >= next)
            {
                next = q.LastId + 1;
            }
        }

        return next > to;
    }

    private static SegmentAnalysis QuickSealed(IStorageFile file, string name, long baseId, bool isLast, SegmentScanResult quick)
    {
        var report = SealedReport(file.Path, name, baseId, isLast, quick);
        var withIndex = SegmentScanner.ReadSealed(file, validateIndex: true);
        if (withIndex.IndexValid == false)
        {
            var footer = quick.Footer!.Value;
            var detail = "the record index fails its checksum (reads of this segment fail)";
            report = report with
            {
                Condition = SegmentCondition.Damaged,
                Detail = detail,
                Damage = new SegmentDamage(footer.IndexOffset, detail, SealProof(quick.Metadata!.Value), null, quick.Metadata.Value.LastId, null, null, null),
                Problems = [detail],
            };
        }

        return new SegmentAnalysis(report, quick, null);
    }

    private SegmentAnalysis VerifySealed(IStorageFile file, string name, long baseId, bool isLast, SegmentScanResult quick)
    {
        var footer = quick.Footer!.Value;
        var meta = quick.Metadata!.Value;
        var scan = SegmentScanner.ScanForward(file, _options.MaxRecordBytes);
        var problems = new List<(long Offset, string Detail)>();
        if (scan.IndexValid == false)
        {
            problems.Add((footer.IndexOffset, "the record index fails its checksum"));
        }

        if (scan.Stop == ScanStop.InvalidFrame || scan.ValidEnd < footer.DataEnd)
        {
            problems.Add((scan.ValidEnd, scan.StopDetail ?? $"the records end at offset {scan.ValidEnd} but the footer says {footer.DataEnd}"));
        }

        var records = scan.Records;
        if (records.Count != meta.RecordCount)
        {
            problems.Add((footer.MetadataOffset, $"the scan found {records.Count} record(s); the metadata declares {meta.RecordCount}"));
        }
        else if (scan.RollingChecksum != meta.DataChecksum)
        {
            problems.Add((footer.MetadataOffset, $"the rolling checksum of the records is 0x{scan.RollingChecksum:X8}; the metadata declares 0x{meta.DataChecksum:X8}"));
        }

        if (records.Count > 0 && records.Count == meta.RecordCount
            && (records[0].TimestampMicros != meta.FirstTimestampMicros || records[^1].TimestampMicros != meta.LastTimestampMicros))
        {
            problems.Add((footer.MetadataOffset, "the first or last record timestamp disagrees with the metadata"));
        }

        if (scan.IndexValid != false)
        {
            CompareIndex(file, footer, records, problems);
        }

        var backward = new List<string>();
        CompareBackward(file, records, footer.DataEnd, backward);
        foreach (var b in backward)
        {
            problems.Add((footer.DataEnd, b));
        }

        var report = SealedReport(file.Path, name, baseId, isLast, quick) with
        {
            Scanned = true,
            CheckpointCount = scan.Checkpoints.Count,
            LastCheckpoint = LastCheckpoint(scan),
            ProducerStamps = scan.Stamps.Count,
        };

        if (problems.Count > 0)
        {
            problems.Sort(static (a, b) => a.Offset.CompareTo(b.Offset));
            var (offset, detail) = problems[0];
            report = report with
            {
                Condition = SegmentCondition.Damaged,
                Detail = $"damage at offset {offset} ({detail}) in a sealed segment; recovery does not scan sealed segments, so reads of it fail; quarantine it with 'aof repair --quarantine {baseId}'",
                Damage = new SegmentDamage(offset, detail, SealProof(meta), null, meta.LastId, null, null, null),
                Problems = [.. problems.Select(static p => $"offset {p.Offset}: {p.Detail}")],
            };
        }

        return new SegmentAnalysis(report, scan, null);
    }

    private static string SealProof(SegmentMetadata meta) =>
        $"the segment is sealed: its metadata declares {meta.RecordCount} record(s) through id {meta.LastId}";

    private static SegmentReport SealedReport(string path, string name, long baseId, bool isLast, SegmentScanResult quick)
    {
        var header = quick.Header!.Value;
        var meta = quick.Metadata!.Value;
        return new SegmentReport
        {
            FileName = name,
            Path = path,
            BaseId = baseId,
            IsLast = isLast,
            Condition = SegmentCondition.Sealed,
            Detail = "sealed; opens from its footer",
            LastId = meta.LastId,
            RecordCount = meta.RecordCount,
            FileSize = quick.FileLength,
            DataEnd = quick.Footer!.Value.DataEnd,
            WriterEpoch = header.WriterEpoch,
            CreatedAt = SegmentFormat.FromUnixMicroseconds(header.CreatedAtMicros),
            SealedAt = SegmentFormat.FromUnixMicroseconds(meta.SealedAtMicros),
            FirstRecordAt = meta.RecordCount > 0 ? SegmentFormat.FromUnixMicroseconds(meta.FirstTimestampMicros) : null,
            LastRecordAt = meta.RecordCount > 0 ? SegmentFormat.FromUnixMicroseconds(meta.LastTimestampMicros) : null,
            ProducerTableEntries = quick.ProducerTable?.Count,
        };
    }

    private static SegmentReport WithScanFacts(SegmentReport report, SegmentScanResult scan, SegmentHeader header) => report with
    {
        WriterEpoch = header.WriterEpoch,
        CreatedAt = SegmentFormat.FromUnixMicroseconds(header.CreatedAtMicros),
        DataEnd = scan.ValidEnd,
        CheckpointCount = scan.Checkpoints.Count,
        LastCheckpoint = LastCheckpoint(scan),
        ProducerStamps = scan.Stamps.Count,
        FirstRecordAt = scan.Records.Count > 0 ? SegmentFormat.FromUnixMicroseconds(scan.Records[0].TimestampMicros) : null,
        LastRecordAt = scan.Records.Count > 0 ? SegmentFormat.FromUnixMicroseconds(scan.Records[^1].TimestampMicros) : null,
    };

    private static SegmentReport Copy(SegmentReport report, SegmentCondition condition, string detail, long lastId, long count, long dataEnd) =>
        report with { Condition = condition, Detail = detail, LastId = lastId, RecordCount = count, DataEnd = dataEnd, Problems = condition == SegmentCondition.HeaderDamaged ? [detail] : [] };

    private static CheckpointSummary? LastCheckpoint(SegmentScanResult scan)
    {
        if (scan.Checkpoints.Count == 0)
        {
            return null;
        }

        var c = scan.Checkpoints[^1].Checkpoint;
        return new CheckpointSummary(c.Offset, c.LastId, c.RecordCount, SegmentFormat.FromUnixMicroseconds(c.WrittenAtMicros));
    }

    private static TailCut Cut(SegmentScanResult scan, RecoveryPlan plan, long baseId)
    {
        var discarded = plan.DiscardedRecords;
        return new TailCut(
            plan.KeepEnd,
            plan.KeepRecords,
            baseId + plan.KeepRecords - 1,
            discarded,
            discarded > 0 ? scan.Records[plan.KeepRecords].Id : null,
            discarded > 0 ? scan.Records[^1].Id : null,
            Math.Max(0, scan.NonZeroEnd - plan.KeepEnd));
    }

    private static FlushCheckpoint? ReadCheckpoint(IStorageFile file, long offset)
    {
        Span<byte> bytes = stackalloc byte[FlushCheckpoint.Size];
        return file.ReadAtMost(offset, bytes) == FlushCheckpoint.Size && FlushCheckpoint.TryRead(bytes, offset, out var cp) ? cp : null;
    }

    private static void CompareIndex(IStorageFile file, SegmentFooter footer, List<ScannedRecord> records, List<(long Offset, string Detail)> problems)
    {
        var index = new byte[footer.IndexLength];
        file.ReadExactly(footer.IndexOffset, index);
        var count = BinaryPrimitives.ReadInt64LittleEndian(index.AsSpan(8));
        for (var i = 0; i < count && i < records.Count; i++)
        {
            var at = BinaryIndexHeader.Size + (i * BinaryIndexHeader.EntrySize);
            var (id, offset) = BinaryIndexHeader.ReadEntry(index.AsSpan(at));
            if (id != records[i].Id || offset != records[i].Offset)
            {
                problems.Add((footer.IndexOffset + at, $"index entry {i} names id {id} at offset {offset}; the scan found id {records[i].Id} at offset {records[i].Offset}"));
                return;
            }
        }
    }

    /// <summary>Walks the records backwards through their trailers from <paramref name="end"/> and compares with the forward scan.</summary>
    private static void CompareBackward(IStorageFile file, List<ScannedRecord> forward, long end, List<string> problems)
    {
        List<ScannedRecord> backward;
        try
        {
            backward = SegmentScanner.ScanBackward(file, end);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            problems.Add("the backward scan through the record trailers fails: " + e.Message);
            return;
        }

        if (backward.Count != forward.Count)
        {
            problems.Add($"the backward scan found {backward.Count} record(s), the forward scan {forward.Count}");
            return;
        }

        for (var i = 0; i < forward.Count; i++)
        {
            var f = forward[i];
            var b = backward[forward.Count - 1 - i];
            if (f.Id != b.Id || f.Offset != b.Offset || f.Checksum != b.Checksum)
            {
                problems.Add($"the backward scan disagrees with the forward scan at id {f.Id} (offset {f.Offset} vs {b.Offset})");
                return;
            }
        }
    }

    /// <summary>
    /// The highest id named by any intact record or valid checkpoint between <paramref name="from"/> and <paramref name="to"/>
    /// (searched at frame alignment): what cutting at a damage point loses.
    /// </summary>
    private static long? SurveyLastId(IStorageFile file, long from, long to, int maxPayload)
    {
        from = SegmentFormat.Align(from);
        if (to <= from)
        {
            return null;
        }

        // One segment's tail; segments are bounded by MaxSegmentBytes, so it fits in memory.
        var bytes = new byte[to - from + FlushCheckpoint.Size];
        var n = file.ReadAtMost(from, bytes);
        var span = bytes.AsSpan(0, n);
        long? max = null;
        var pos = 0;
        while (pos + 8 <= span.Length)
        {
            var magic = BinaryPrimitives.ReadUInt32LittleEndian(span[pos..]);
            if (magic == SegmentFormat.CheckpointMagic && pos + FlushCheckpoint.Size <= span.Length
                && FlushCheckpoint.TryRead(span.Slice(pos, FlushCheckpoint.Size), from + pos, out var cp))
            {
                max = Max(max, cp.LastId);
                pos += FlushCheckpoint.Size;
                continue;
            }

            if (magic == SegmentFormat.RecordMagic && TryRecord(span[pos..], maxPayload, out var id, out var frame))
            {
                max = Max(max, id);
                pos += frame;
                continue;
            }

            pos += SegmentFormat.Alignment;
        }

        return max;
    }

    private static bool TryRecord(ReadOnlySpan<byte> bytes, int maxPayload, out long id, out int frame)
    {
        id = -1;
        frame = 0;
        if (!RecordHeader.TryRead(bytes, out var h) || h.PayloadLength < 0 || h.PayloadLength > maxPayload)
        {
            return false;
        }

        frame = SegmentFormat.RecordFrameSize(h.PayloadLength);
        if (frame > bytes.Length)
        {
            return false;
        }

        var payloadCrc = Crc32C.Compute(bytes.Slice(RecordHeader.Size, h.PayloadLength));
        if (RecordHeader.ComputeChecksum(payloadCrc, bytes) != h.Checksum
            || !RecordTrailer.TryRead(bytes[(frame - RecordTrailer.Size)..frame], out var t) || t.Checksum != h.Checksum)
        {
            return false;
        }

        id = h.Id;
        return true;
    }

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private sealed class ProgressCounter(IProgress<InspectionProgress>? progress, long total)
    {
        public long Done { get; private set; }

        public void Report(string? file) => progress?.Report(new InspectionProgress(Done, total, file));

        public void Add(long bytes, string file)
        {
            Done += bytes;
            Report(file);
        }
    }
}
