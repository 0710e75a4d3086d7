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

        LocalScan? local = null;
        try
        {
            // Restore: an empty folder gets the newest archived segment back first; it carries the last id and the producer table.
            List<ArchivedObjectInfo>? listing = null;
            if (env.Archive is { } archive && SegmentFiles.List(fs, dir).Count == 0)
            {
                listing = await ListArchiveAsync(archive, dir, cancellationToken).ConfigureAwait(false);
                if (listing.Count > 0)
                {
                    var newest = listing[^1];
                    await SegmentFiles.DownloadVerifiedAsync(archive, newest.Key, Path.Combine(dir.Segments, newest.Key.FileName), fs, durable: true, cancellationToken).ConfigureAwait(false);
                    LogRestored(logger, dir.FullName, listing.Count, newest.Key.FileName);
                }
            }

            var now = env.TimeProvider.GetUtcNow();
            local = await Task.Run(() => PartitionRecovery.ScanLocal(fs, dir, options, now, logger), cancellationToken).ConfigureAwait(false);
            var rows = catalogProblem is null ? catalog.ReadAll() : [];
            long? firstId = catalogProblem is null && long.TryParse(catalog.GetMeta("first_id"), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var storedFirst) ? storedFirst : null;
            var reconciled = PartitionRecovery.Reconcile(local, rows, firstId, listing, env.Archive is not null);
            if (reconciled.NeedsListing)
            {
                // The catalog and the local files disagree about ids only the archive can account for.
                listing = await ListArchiveAsync(env.Archive!, dir, cancellationToken).ConfigureAwait(false);
                reconciled = PartitionRecovery.Reconcile(local, rows, firstId, listing, archiveConfigured: true);
            }

            var scanned = local;
            return await Task.Run(() => Open(dir, options, env, lockFile, catalog, catalogProblem, scanned, reconciled, rows.Count), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            local?.Active?.File.Dispose();
            catalog.Dispose();
            lockFile.Dispose();
            throw;
        }
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

    private static PartitionLog Open(PartitionDirectory dir, PartitionLogOptions options, PartitionLogEnvironment env, IStorageFile lockFile, SegmentCatalog catalog, string? catalogProblem, LocalScan local, Reconciliation reconciled, int catalogRows)
    {
        var fs = env.FileSystem;
        var logger = env.LoggerFactory.CreateLogger("OrleansAof.Storage.PartitionLog");
        var now = env.TimeProvider.GetUtcNow();
        var fault = reconciled.Fault;
        var active = local.Active;
        if (active is not null && active.BaseId < reconciled.NextId)
        {
            fault ??= $"the active segment starts at {active.BaseId} but sealed segments reach {reconciled.NextId - 1}";
        }

        var epoch = local.MaxEpoch + 1;
        dir.WriteEpoch(fs, epoch);
        if (reconciled.LostActiveBaseId is { } lostBase)
        {
            // No file may take the lost segment's name: the next open must find it missing again.
            active?.File.Dispose();
            var unknown = new SegmentHeader(SegmentFormat.Version, 0, SegmentFormat.PartitionHash(dir.FullName), lostBase, 0, epoch);
            active = new ActiveSegment(new UnavailableFile(dir.SegmentPath(lostBase)), unknown, now);
        }
        else if (active is null)
        {
            var header = new SegmentHeader(SegmentFormat.Version, 0, SegmentFormat.PartitionHash(dir.FullName), reconciled.NextId, SegmentFormat.ToUnixMicroseconds(now), epoch);
            active = SegmentFiles.CreateActive(fs, dir, header, options, preallocated: null);
        }

        var lastTs = active.LastTimestampMicros;
        foreach (var s in local.Sealed)
        {
            lastTs = Math.Max(lastTs, s.Metadata.LastTimestampMicros);
        }

        PartitionLog log;
        try
        {
            var all = new List<SegmentInfo>(reconciled.Rows) { ActiveInfo(active) };
            catalog.ReplaceAll(all);
            catalog.SetMeta("first_id", reconciled.FirstId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var state = new RecoveredState([.. local.Sealed], active, reconciled.FirstId, lastTs, fault, local.Producers);
            log = new PartitionLog(dir, options, env, catalog, lockFile, epoch, state);
        }
        catch
        {
            active.File.Dispose();
            throw;
        }

        log.InitializeRows(reconciled.Rows);
        var problem = catalogProblem ?? (reconciled.Findings.Count > 0 ? string.Join("; ", reconciled.Findings) : null);
        if (problem is not null && (local.FileCount > 0 || catalogRows > 0 || reconciled.Rows.Count > 0))
        {
            // A brand-new partition has no catalog yet: that is not worth a warning.
            LogCatalogRebuilt(logger, dir.FullName, problem);
        }

        if (fault is not null)
        {
            LogFaulted(logger, dir.FullName, fault, null);
        }

        LogOpened(logger, dir.FullName, epoch, reconciled.FirstId, log.LastId, local.Sealed.Count, local.Discarded, local.TornBytes);
        return log;
    }

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
}
