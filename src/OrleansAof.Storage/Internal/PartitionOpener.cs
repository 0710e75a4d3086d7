using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Catalog;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// Opening a partition: takes the directory's writer lock and opens the catalog (while the recorded id bound is read),
/// restores an empty folder from the archive, scans and reconciles the local files (<see cref="PartitionRecovery"/>),
/// checks them against the id bound, and hands a <see cref="RecoveredPartition"/> to a new <see cref="PartitionLog"/>;
/// the first id bound of this open is recorded while the rest of the open completes.
/// </summary>
internal static partial class PartitionOpener
{
    private const string UnverifiedRestoreKey = "unverified_restore";
    private const string LostIdsKey = "lost_ids";

    public static async Task<PartitionLog> OpenAsync(PartitionDirectory dir, PartitionLogOptions options, PartitionLogEnvironment env, CancellationToken cancellationToken)
    {
        var fs = env.FileSystem;
        var logger = env.LoggerFactory.CreateLogger("OrleansAof.Storage.PartitionLog");

        // The recorded bound is read while the lock is taken and the catalog opened (neither depends on it).
        var boundRead = env.IdBounds is { } bounds ? bounds.ReadAsync(dir.Log, dir.Partition, cancellationToken) : null;
        IStorageFile lockFile;
        SegmentCatalog catalog;
        string? catalogProblem;
        try
        {
            (lockFile, catalog, catalogProblem) = await Task.Run(
                () =>
                {
                    dir.Create(fs);
                    var taken = dir.AcquireLock(fs);
                    try
                    {
                        fs.DeleteFile(dir.PreallocatedFile);
                        return (taken, OpenCatalog(dir, fs, out var problem), problem);
                    }
                    catch
                    {
                        taken.Dispose();
                        throw;
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Observe(boundRead);
            throw;
        }

        LocalScan? local = null;
        RecoveredPartition? recovered = null;
        PartitionLog? opened = null;
        Task? boundWrite = null;
        try
        {
            var bound = boundRead is null ? null : await boundRead.ConfigureAwait(false);
            var restoredBefore = catalogProblem is null && catalog.GetMeta(UnverifiedRestoreKey) is not null;
            var policy = options.LostIds == LostIdsPolicy.SkipPastBound || (catalogProblem is null && catalog.GetMeta(LostIdsKey) == nameof(LostIdsPolicy.SkipPastBound))
                ? LostIdsPolicy.SkipPastBound
                : LostIdsPolicy.Refuse;

            // Restore: an empty folder gets the newest archived segment back first; it carries the last id and the producer table.
            List<ArchivedObjectInfo>? listing = null;
            var empty = SegmentFiles.List(fs, dir).Count == 0;
            if (env.Archive is { } archive && empty)
            {
                listing = await ListForRestoreAsync(archive, dir, env.IdBounds is not null && bound is null, logger, cancellationToken).ConfigureAwait(false);
                if (listing.Count > 0)
                {
                    // Marked first: files put back from the archive never count as the whole truth, even when this open
                    // stops before it has checked them against the id bound.
                    catalog.SetMeta(UnverifiedRestoreKey, "1");
                    restoredBefore = true;
                    var newest = listing[^1];

                    // The folders of a new partition are made durable by the epoch write (PartitionDirectory.Create):
                    // the restored segment must not vanish with its folder before that.
                    fs.FlushDirectory(dir.DirectoryPath);
                    await SegmentFiles.DownloadVerifiedAsync(archive, newest.Key, Path.Combine(dir.Segments, newest.Key.FileName), fs, durable: true, cancellationToken).ConfigureAwait(false);
                    LogRestored(logger, dir.FullName, listing.Count, newest.Key.FileName);
                }
            }

            var now = env.TimeProvider.GetUtcNow();
            local = await Task.Run(() => PartitionRecovery.ScanLocal(fs, dir, options, now, logger), cancellationToken).ConfigureAwait(false);
            var rows = catalogProblem is null ? catalog.ReadAll() : [];
            long? firstId = catalogProblem is null && long.TryParse(catalog.GetMeta(PartitionCatalog.FirstIdKey), NumberStyles.Integer, CultureInfo.InvariantCulture, out var storedFirst) ? storedFirst : null;
            var reconciled = PartitionRecovery.Reconcile(local, rows, firstId, listing, env.Archive is not null);
            if (reconciled.NeedsListing)
            {
                // The catalog and the local files disagree about ids only the archive can account for.
                listing = await ListArchiveAsync(env.Archive!, dir, cancellationToken).ConfigureAwait(false);
                reconciled = PartitionRecovery.Reconcile(local, rows, firstId, listing, archiveConfigured: true);
            }

            // Local files are the whole truth about what was acknowledged unless they were lost (an empty folder, a lost
            // active segment) or put back from the archive: then the recorded id bound says which ids may be gone.
            var authoritative = !empty && !restoredBefore && reconciled.LostActiveBaseId is null;
            if (bound is { } b && !authoritative)
            {
                await Task.Run(() => ApplyBound(fs, dir, local, reconciled, b, policy), cancellationToken).ConfigureAwait(false);
            }

            var scanned = local;
            recovered = await Task.Run(() => Recover(dir, options, env, lockFile, catalog, scanned, reconciled), cancellationToken).ConfigureAwait(false);

            // The first bound of this open (one reservation past the last id) is recorded while the open completes.
            IdReservation? ids = null;
            if (env.IdBounds is { } store)
            {
                ids = new IdReservation(store, dir.Log, dir.Partition, options.IdReservation, env.TimeProvider, logger);
                boundWrite = ids.SetAsync(Math.Max(bound ?? -1, recovered.Active.LastId) + options.IdReservation, cancellationToken);
            }
            else if (restoredBefore && policy == LostIdsPolicy.SkipPastBound)
            {
                // Put back from the archive without a bound to check it against (the offline restore): the next open
                // with a bound store checks it, and applies the operator's decision about lost ids.
                catalog.SetMeta(LostIdsKey, nameof(LostIdsPolicy.SkipPastBound));
            }

            var complete = recovered;
            opened = await Task.Run(() => Complete(complete, logger, catalogProblem, scanned, reconciled, rows.Count), cancellationToken).ConfigureAwait(false);
            if (ids is not null)
            {
                await AwaitFirstBoundAsync(opened, ids, boundWrite!, logger).ConfigureAwait(false);
            }

            return opened;
        }
        catch
        {
            Observe(boundWrite);
            if (opened is not null)
            {
                await opened.CloseAsync(seal: false).ConfigureAwait(false);
            }
            else
            {
                (recovered?.Active ?? local?.Active)?.File.Dispose();
                catalog.Dispose();
                lockFile.Dispose();
            }

            throw;
        }
    }

    /// <summary>Waits for the first bound of this open; a failure leaves appends waiting for a later raise.</summary>
    private static async Task AwaitFirstBoundAsync(PartitionLog opened, IdReservation ids, Task boundWrite, ILogger logger)
    {
        try
        {
            await boundWrite.ConfigureAwait(false);
            opened.Catalog.RemoveMeta(UnverifiedRestoreKey, LostIdsKey);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogReserveFailed(logger, opened.Log + "/" + opened.Partition, e.Message);
        }

        opened.Writer.UseIdReservation(ids);
    }

    private static void Observe(Task? task) =>
        _ = task?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>
    /// The archive listing for a restore into an empty folder. When no id bound was ever recorded (a brand-new partition
    /// under an <see cref="IIdBoundStore"/>), the archive is asked but not depended on: a new partition opens during an
    /// archive outage.
    /// </summary>
    /// <summary>
    /// A partition without a folder was never created when no id bound is recorded for it and the archive holds nothing of
    /// it (an archive that cannot be listed holds nothing a brand-new partition could restore either): then nothing is
    /// created, and <see cref="PartitionNotFoundException"/> says so. Otherwise the open may go on (restore, or the
    /// lost-volume rules). Runs before the open and its recovery span (<see cref="PartitionLogOptions.CreateIfMissing"/> off).
    /// </summary>
    public static async Task ThrowIfNeverCreatedAsync(PartitionDirectory dir, PartitionLogEnvironment env, CancellationToken cancellationToken)
    {
        if (env.FileSystem.DirectoryExists(dir.DirectoryPath)
            || (env.IdBounds is { } bounds && await bounds.ReadAsync(dir.Log, dir.Partition, cancellationToken).ConfigureAwait(false) is not null))
        {
            return;
        }

        var logger = env.LoggerFactory.CreateLogger("OrleansAof.Storage.PartitionLog");
        if (env.Archive is { } archive && (await ListForRestoreAsync(archive, dir, brandNew: true, logger, cancellationToken).ConfigureAwait(false)).Count > 0)
        {
            return;
        }

        throw new PartitionNotFoundException(dir.Log, dir.Partition);
    }

    private static async Task<List<ArchivedObjectInfo>> ListForRestoreAsync(ISegmentArchive archive, PartitionDirectory dir, bool brandNew, ILogger logger, CancellationToken cancellationToken)
    {
        if (!brandNew)
        {
            return await ListArchiveAsync(archive, dir, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await ListArchiveAsync(archive, dir, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogNewWithoutArchive(logger, dir.FullName, e.Message);
            return [];
        }
    }

    /// <summary>
    /// Checks what the files hold against the recorded id bound <paramref name="bound"/>: ids up to it that nothing holds
    /// were perhaps acknowledged. Refuses (<see cref="PartitionDataLostException"/>) or, by the operator's decision, records
    /// them as <see cref="SegmentStatus.Missing"/> and continues after the bound.
    /// </summary>
    private static void ApplyBound(IFileSystem fs, PartitionDirectory dir, LocalScan local, Reconciliation reconciled, long bound, LostIdsPolicy policy)
    {
        var heldNext = reconciled.LostActiveBaseId ?? (local.Active is { } a ? a.BaseId + a.Count : reconciled.NextId);
        if (bound < heldNext)
        {
            return;
        }

        if (policy != LostIdsPolicy.SkipPastBound)
        {
            throw new PartitionDataLostException(dir.FullName, heldNext - 1, bound);
        }

        if (local.Active is { } active)
        {
            // An empty active segment left by a restore: the next one starts after the bound.
            if (active.Count > 0 && reconciled.LostActiveBaseId is null)
            {
                throw new PartitionDataLostException(dir.FullName, heldNext - 1, bound);
            }

            active.File.Dispose();
            local.Active = null;
            if (reconciled.LostActiveBaseId is null)
            {
                fs.DeleteFile(dir.SegmentPath(active.BaseId));
                fs.FlushDirectory(dir.Segments);
            }
        }

        reconciled.Rows.Add(PartitionRecovery.MissingRow(heldNext, bound));
        reconciled.Rows.Sort(static (x, y) => x.BaseId.CompareTo(y.BaseId));
        reconciled.Findings.Add($"ids {heldNext}..{bound} were skipped by an operator's decision: they may have been acknowledged and are lost");
        if (reconciled.LostActiveBaseId is not null)
        {
            reconciled.LostActiveBaseId = null;
            reconciled.Fault = local.Fault;
        }

        reconciled.NextId = bound + 1;
    }

    private static async Task<List<ArchivedObjectInfo>> ListArchiveAsync(ISegmentArchive archive, PartitionDirectory dir, CancellationToken cancellationToken)
    {
        var objects = new List<ArchivedObjectInfo>();
        await foreach (var o in archive.ListAsync(dir.Log, dir.Partition, cancellationToken).ConfigureAwait(false))
        {
            if (PartitionLayout.TryParseSegmentFileName(o.Key.FileName, out _))
            {
                objects.Add(o);
            }
        }

        objects.Sort(static (a, b) => string.CompareOrdinal(a.Key.FileName, b.Key.FileName));
        return objects;
    }

    /// <summary>Decides the epoch, the active segment (created when there is none) and the writer's starting state.</summary>
    private static RecoveredPartition Recover(PartitionDirectory dir, PartitionLogOptions options, PartitionLogEnvironment env, IStorageFile lockFile, SegmentCatalog catalog, LocalScan local, Reconciliation reconciled)
    {
        var fs = env.FileSystem;
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
            long localBytes = 0;
            foreach (var s in local.Sealed)
            {
                localBytes += s.FileSize;
            }

            active = SegmentFiles.CreateActive(fs, dir, header, options, preallocated: null, localBytes);
        }

        var lastTs = active.LastTimestampMicros;
        foreach (var s in local.Sealed)
        {
            lastTs = Math.Max(lastTs, s.Metadata.LastTimestampMicros);
        }

        return new RecoveredPartition(dir, options, env, lockFile, catalog, epoch, [.. local.Sealed], active, reconciled.Rows, reconciled.FirstId, lastTs, fault, local.Producers);
    }

    /// <summary>Rewrites the catalog to match what recovery decided and constructs the partition.</summary>
    private static PartitionLog Complete(RecoveredPartition recovered, ILogger logger, string? catalogProblem, LocalScan local, Reconciliation reconciled, int catalogRows)
    {
        var dir = recovered.Directory;
        var all = new List<SegmentInfo>(recovered.Rows) { PartitionRecovery.ActiveRow(recovered.Active) };
        recovered.Catalog.ReplaceAll(all, PartitionCatalog.FirstIdKey, recovered.FirstId.ToString(CultureInfo.InvariantCulture));
        var log = new PartitionLog(recovered);
        var problem = catalogProblem ?? (reconciled.Findings.Count > 0 ? string.Join("; ", reconciled.Findings) : null);
        if (problem is not null && (local.FileCount > 0 || catalogRows > 0 || reconciled.Rows.Count > 0))
        {
            // A brand-new partition has no catalog yet: that is not worth a warning.
            PartitionCatalog.LogCatalogRebuilt(logger, dir.FullName, problem);
        }

        if (recovered.FaultReason is { } fault)
        {
            LogFaulted(logger, dir.FullName, fault, null);
        }

        LogOpened(logger, dir.FullName, recovered.Epoch, recovered.FirstId, log.LastId, local.Sealed.Count, local.Discarded, local.TornBytes);
        return log;
    }

    private static SegmentCatalog OpenCatalog(PartitionDirectory dir, IFileSystem fs, out string? problem)
    {
        problem = File.Exists(dir.CatalogFile) ? null : "missing";
        try
        {
            if (problem is not null)
            {
                // One fsync instead of SQLite's creation; the epoch write's folder flush makes its entry durable.
                _ = SegmentCatalog.CreateEmpty(dir.CatalogFile, fs);
            }

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

    [LoggerMessage(1, LogLevel.Information, "Partition {Partition} opened at epoch {Epoch}: ids {FirstId}..{LastId}, {Sealed} sealed segment(s); recovery discarded {Discarded} unacknowledged record(s) and {Bytes} byte(s) of torn tail")]
    private static partial void LogOpened(ILogger logger, string partition, long epoch, long firstId, long lastId, int @sealed, int discarded, long bytes);

    [LoggerMessage(2, LogLevel.Error, "Partition {Partition} faulted: {Reason}")]
    private static partial void LogFaulted(ILogger logger, string partition, string reason, Exception? exception);

    [LoggerMessage(7, LogLevel.Warning, "Partition {Partition}: no local segment; restoring from the archive ({Count} archived segment(s), fetched the newest: {FileName})")]
    private static partial void LogRestored(ILogger logger, string partition, int count, string fileName);

    [LoggerMessage(13, LogLevel.Information, "Partition {Partition}: no id bound is recorded, so it is new; the archive could not be asked ({Reason}) and is not needed")]
    private static partial void LogNewWithoutArchive(ILogger logger, string partition, string reason);

    [LoggerMessage(14, LogLevel.Warning, "Partition {Partition}: recording the id bound at open failed ({Reason}); appends wait until it is recorded")]
    private static partial void LogReserveFailed(ILogger logger, string partition, string reason);
}
