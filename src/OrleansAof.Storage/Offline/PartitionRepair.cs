using OrleansAof.Storage.Catalog;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.Internal;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Offline;

/// <summary>
/// Offline repairs of a partition directory. Every run takes the partition's writer lock first (so it refuses with
/// <see cref="PartitionLockedException"/> while a writer has the partition open, and no writer can open it meanwhile),
/// plans from a fresh scan, and changes files only when asked to apply; a dry run changes nothing.
/// </summary>
public sealed class PartitionRepair
{
    private readonly IFileSystem _fs;
    private readonly PartitionInspector _inspector;

    /// <summary>Creates a repairer.</summary>
    /// <param name="options">Scan options (<see cref="InspectionOptions.MaxRecordBytes"/>); defaults when <see langword="null"/>.</param>
    /// <param name="fileSystem">The file system; the real one when <see langword="null"/>.</param>
    public PartitionRepair(InspectionOptions? options = null, IFileSystem? fileSystem = null)
    {
        _fs = fileSystem ?? PhysicalFileSystem.Instance;
        _inspector = new PartitionInspector(options, _fs);
    }

    /// <summary>Plans a repair of <paramref name="partitionDirectory"/> and, when <paramref name="apply"/> is set, carries it out.</summary>
    /// <param name="partitionDirectory">The partition directory (the folder with <c>segments/</c>).</param>
    /// <param name="kind">Which repair.</param>
    /// <param name="quarantineBaseId">For <see cref="RepairKind.Quarantine"/>: the base id of the segment to move aside.</param>
    /// <param name="apply">Whether to change files; otherwise only report what would be done.</param>
    /// <exception cref="PartitionLockedException">A writer holds the partition.</exception>
    /// <exception cref="RepairRefusedException">The repair does not apply to the partition's state, or would lose data it must not.</exception>
    /// <exception cref="FileNotFoundException">The directory is not a partition directory.</exception>
    public RepairResult Run(string partitionDirectory, RepairKind kind, long? quarantineBaseId, bool apply)
    {
        ArgumentException.ThrowIfNullOrEmpty(partitionDirectory);
        var dir = Path.GetFullPath(partitionDirectory);
        if (!_fs.DirectoryExists(PartitionLayout.SegmentsOf(dir)))
        {
            throw new FileNotFoundException($"'{dir}' is not a partition directory (it has no 'segments' folder).", dir);
        }

        if (kind == RepairKind.Quarantine && quarantineBaseId is null)
        {
            throw new ArgumentException("A quarantine needs the base id of the segment.", nameof(quarantineBaseId));
        }

        using var writerLock = TakeLock(dir, create: apply);
        var segments = _inspector.ListSegments(dir);
        return kind switch
        {
            RepairKind.TruncateTornTail => TruncateTornTails(dir, segments, apply),
            RepairKind.CutAtDamage => CutAtDamage(dir, segments, apply),
            RepairKind.Quarantine => Quarantine(dir, segments, quarantineBaseId!.Value, apply),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    private IStorageFile? TakeLock(string dir, bool create)
    {
        var path = Path.Combine(dir, PartitionLayout.LockFileName);
        if (!create && !_fs.FileExists(path))
        {
            // A dry run creates nothing; without a lock file no writer has ever held the directory.
            return null;
        }

        try
        {
            return _fs.OpenFile(path, create ? FileMode.OpenOrCreate : FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (PartitionDirectory.IsLockConflict(e))
        {
            throw new PartitionLockedException(dir, e);
        }
    }

    private RepairResult TruncateTornTails(string dir, List<(long BaseId, string Path)> segments, bool apply)
    {
        var planned = new List<(SegmentAnalysis Analysis, RepairStep Step)>();
        for (var i = 0; i < segments.Count; i++)
        {
            var (baseId, path) = segments[i];
            var analysis = _inspector.Analyze(path, baseId, i == segments.Count - 1, i + 1 < segments.Count ? segments[i + 1].BaseId : null, verify: false);
            var report = analysis.Report;
            if (report.Condition == SegmentCondition.Damaged && report.Damage?.Cut is not null)
            {
                throw new RepairRefusedException(
                    $"Segment {baseId} has damage at offset {report.Damage.Offset} ({report.Damage.Detail}) and {report.Damage.Proof}: " +
                    "it is not a torn tail, and truncating it would drop acknowledged records. Nothing was changed. " +
                    (report.IsLast ? "Use --cut-at-damage to cut the active segment there on purpose." : $"Use --quarantine {baseId} to move the segment aside."));
            }

            if (report is { Condition: SegmentCondition.TornTail, TornTail: { } cut })
            {
                var action = $"zero {cut.ZeroedBytes} byte(s) from offset {cut.KeepEnd}; keep {cut.KeepRecords} record(s) through id {cut.LastKeptId}"
                    + (cut.DiscardedRecords > 0 ? $"; discard {cut.DiscardedRecords} unacknowledged record(s) (ids {cut.FirstDiscardedId}..{cut.LastDiscardedId})" : "");
                planned.Add((analysis, new RepairStep(report.FileName, baseId, action, cut.KeepEnd, cut.ZeroedBytes, cut.DiscardedRecords, cut.FirstDiscardedId, cut.LastDiscardedId, null)));
            }
        }

        if (planned.Count == 0)
        {
            return new RepairResult(RepairKind.TruncateTornTail, dir, false, [], "No segment has a torn tail; nothing to do.");
        }

        if (apply)
        {
            foreach (var (analysis, step) in planned)
            {
                ZeroTail(analysis.Report.Path, step.CutOffset!.Value, analysis.Scan.NonZeroEnd);
            }
        }

        var summary = $"{(apply ? "Cut" : "Would cut")} the torn tail of {planned.Count} segment(s) as recovery does; no acknowledged record is lost.";
        return new RepairResult(RepairKind.TruncateTornTail, dir, apply, [.. planned.Select(static p => p.Step)], summary);
    }

    private RepairResult CutAtDamage(string dir, List<(long BaseId, string Path)> segments, bool apply)
    {
        if (segments.Count == 0)
        {
            throw new RepairRefusedException("The partition has no segment file; there is nothing to cut. Nothing was changed.");
        }

        var (baseId, path) = segments[^1];
        var analysis = _inspector.Analyze(path, baseId, isLast: true, nextBaseId: null, verify: false);
        var report = analysis.Report;
        if (report.Condition == SegmentCondition.Sealed)
        {
            throw new RepairRefusedException($"The last segment ({baseId}) is sealed, so there is no active segment to cut. Damage in a sealed segment is handled with --quarantine. Nothing was changed.");
        }

        if (report is not { Condition: SegmentCondition.Damaged, Damage: { Cut: { } cut } damage })
        {
            var hint = report.Condition == SegmentCondition.TornTail ? " It has a torn tail: use --truncate-torn-tail." : "";
            throw new RepairRefusedException($"The active segment ({baseId}) has no damage (it is {report.Condition}); there is nothing to cut.{hint} Nothing was changed.");
        }

        var action = $"cut at the damage at offset {damage.Offset}: zero {Math.Max(0, analysis.Scan.NonZeroEnd - cut.KeepEnd)} byte(s) from offset {cut.KeepEnd}; "
            + $"keep {cut.KeepRecords} record(s) through id {cut.LastKeptId}; drop ids {damage.LostFirstId}..{damage.LostLastId} ({damage.LostIds} record(s), "
            + "acknowledged ones among them)";
        var step = new RepairStep(report.FileName, baseId, action, cut.KeepEnd, Math.Max(0, analysis.Scan.NonZeroEnd - cut.KeepEnd), damage.LostIds, damage.LostFirstId, damage.LostLastId, null);
        if (apply)
        {
            ZeroTail(path, cut.KeepEnd, analysis.Scan.NonZeroEnd);
        }

        var summary = $"{(apply ? "Cut" : "Would cut")} segment {baseId} at its damage: ids {damage.LostFirstId}..{damage.LostLastId} ({damage.LostIds} record(s)) "
            + $"{(apply ? "are" : "would be")} lost; the next append gets id {cut.LastKeptId + 1}.";
        return new RepairResult(RepairKind.CutAtDamage, dir, apply, [step], summary);
    }

    private RepairResult Quarantine(string dir, List<(long BaseId, string Path)> segments, long baseId, bool apply)
    {
        var index = segments.FindIndex(s => s.BaseId == baseId);
        if (index < 0)
        {
            throw new RepairRefusedException($"There is no segment file with base id {baseId} in '{PartitionLayout.SegmentsOf(dir)}'. Nothing was changed.");
        }

        if (index == segments.Count - 1)
        {
            throw new RepairRefusedException(
                $"Segment {baseId} is the active (last) segment; it cannot be quarantined: the next open would start a new segment at base id {baseId} " +
                "and reuse its ids. Use --cut-at-damage to cut the active segment at its damage point instead. Nothing was changed.");
        }

        var path = segments[index].Path;
        var analysis = _inspector.Analyze(path, baseId, isLast: false, segments[index + 1].BaseId, verify: true);
        var report = analysis.Report;
        if (report.Condition is not (SegmentCondition.Damaged or SegmentCondition.HeaderDamaged))
        {
            throw new RepairRefusedException($"Segment {baseId} verifies without damage (it is {report.Condition}); refusing to quarantine intact data. Nothing was changed.");
        }

        var fileName = Path.GetFileName(path);
        var target = Path.Combine(PartitionLayout.QuarantineOf(dir), fileName);
        if (_fs.FileExists(target))
        {
            throw new RepairRefusedException($"'{target}' already exists; move it away first. Nothing was changed.");
        }

        var known = report.Condition == SegmentCondition.Damaged && report.LastId >= baseId;
        var step = new RepairStep(
            fileName,
            baseId,
            $"move to quarantine/ and record it as Quarantined in the catalog: {(known ? $"ids {baseId}..{report.LastId}" : "its ids")} are no longer served",
            null,
            0,
            known ? report.RecordCount : 0,
            known ? baseId : null,
            known ? report.LastId : null,
            target);
        if (apply)
        {
            _fs.CreateDirectory(PartitionLayout.QuarantineOf(dir));
            _fs.MoveFile(path, target, overwrite: false);
            _fs.FlushDirectory(PartitionLayout.SegmentsOf(dir));
            _fs.FlushDirectory(PartitionLayout.QuarantineOf(dir));
            RecordQuarantine(dir, report, known, target);
        }

        var summary = $"{(apply ? "Quarantined" : "Would quarantine")} segment {baseId}{(known ? $" (ids {baseId}..{report.LastId}, {report.RecordCount} record(s))" : "")}; "
            + "reads of its ids fail with a typed error, the other segments are served as before.";
        return new RepairResult(RepairKind.Quarantine, dir, apply, [step], summary);
    }

    private void RecordQuarantine(string dir, SegmentReport report, bool known, string target)
    {
        using var catalog = SegmentCatalog.Open(Path.Combine(dir, PartitionLayout.CatalogFileName), _fs);
        var existing = catalog.ReadAll().Find(r => r.BaseId == report.BaseId);
        var row = existing is not null
            ? existing with { Status = SegmentStatus.Quarantined, SizeBytes = _fs.GetFileLength(target) }
            : new SegmentInfo(
                report.BaseId,
                known ? report.LastId : report.BaseId - 1,
                known ? report.RecordCount : 0,
                SegmentStatus.Quarantined,
                _fs.GetFileLength(target),
                report.CreatedAt ?? DateTimeOffset.UnixEpoch,
                report.SealedAt,
                report.FirstRecordAt is { } f ? SegmentFormat.ToUnixMicroseconds(f) : 0,
                report.LastRecordAt is { } l ? SegmentFormat.ToUnixMicroseconds(l) : 0,
                0,
                0,
                report.WriterEpoch ?? 0,
                report.FileName,
                null,
                0,
                0);
        catalog.Upsert(row);
    }

    /// <summary>Overwrites [<paramref name="from"/>, <paramref name="to"/>) with zeros and fsyncs, as recovery does.</summary>
    private void ZeroTail(string path, long from, long to)
    {
        if (to <= from)
        {
            return;
        }

        using var file = _fs.OpenFile(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        var zeros = new byte[(int)Math.Min(1024 * 1024, to - from)];
        for (var pos = from; pos < to; pos += zeros.Length)
        {
            file.Write(pos, zeros.AsSpan(0, (int)Math.Min(zeros.Length, to - pos)));
        }

        file.Flush(dataOnly: true);
    }
}
