// Over 600 lines on purpose: the archival contract every archive backend must pass, kept as one suite.
using FluentAssertions;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using Xunit;

namespace OrleansAof.TestInfrastructure;

/// <summary>
/// Archival of a real partition against a real archive: every sealed segment archived and verified, local files evicted
/// per retention, every id read back byte-identical from local disk and from the archive, duplicate steps, a crash
/// between upload and catalog update, an outage with backlog backpressure, catalog rebuild, restore, total retention
/// and damaged objects. Run against each archive implementation.
/// </summary>
public abstract class PartitionArchivalSuite : IDisposable
{
    protected PartitionArchivalSuite()
    {
        Temp = new TempDirectory("archival");
        LogName = "log-" + Guid.NewGuid().ToString("N")[..10];
    }

    protected TempDirectory Temp { get; }

    protected string LogName { get; }

    /// <summary>The archive under test (shared by every open of the partition in one test).</summary>
    protected abstract ISegmentArchive Archive { get; }

    /// <summary>Changes bytes of the stored object of <paramref name="key"/> behind the archive's back.</summary>
    protected abstract void CorruptStoredObject(ArchiveObjectKey key);

    /// <summary>Reads per worker in tests where nearly every read fetches a segment from the archive.</summary>
    protected virtual int FetchHeavyReadRounds => Stress.Scale(150, 1500);

    protected PartitionLogOptions Options(Action<PartitionLogOptions>? configure = null)
    {
        var o = new PartitionLogOptions
        {
            DataRoot = Temp.Combine("data"),
            MaxSegmentBytes = 8192,
            MaxRecordBytes = 2048,
            Preallocation = PreallocationMode.None,
            KeepLocalSegments = 2,
            ArchiveReadCacheBytes = 32 * 1024,
            MaxArchiveBacklogBytes = 1 << 20,
        };
        configure?.Invoke(o);
        return o;
    }

    protected Task<PartitionLog> OpenAsync(PartitionLogOptions options, ISegmentArchive? archive = null, TimeProvider? time = null) =>
        PartitionLog.OpenAsync(LogName, "0", options, new PartitionLogEnvironment { Archive = archive ?? Archive, TimeProvider = time ?? TimeProvider.System });

    protected static byte[] Payload(long id) => System.Text.Encoding.UTF8.GetBytes($"record {id} " + new string((char)('a' + (id % 26)), (int)(id % 300)));

    protected static async Task AppendAsync(PartitionLog log, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var id = log.NextId;
            (await log.AppendAsync(Payload(id))).FirstId.Should().Be(id);
        }
    }

    protected static async Task<int> ArchiveAllAsync(PartitionLog log)
    {
        var n = 0;
        while (await log.ArchiveNextAsync() is not null)
        {
            n++;
        }

        return n;
    }

    /// <summary>
    /// Appends <paramref name="count"/> records to partition 0, archives every sealed segment (evicting the local copies
    /// when <paramref name="evict"/>), closes the partition and returns the last archived id.
    /// </summary>
    private async Task<long> ArchiveAndCloseAsync(int count, bool evict)
    {
        await using var log = await OpenAsync(Options());
        await AppendAsync(log, count);
        await ArchiveAllAsync(log);
        if (evict)
        {
            await log.EvictArchivedAsync();
        }

        return log.GetInfo().Segments.Last(s => s.Status == SegmentStatus.Archived).LastId;
    }

    protected static async Task AssertAllRecordsAsync(PartitionLog log, long from, long count)
    {
        var next = from;
        while (next < from + count)
        {
            var batch = await log.ReadAsync(next, (int)Math.Min(37, from + count - next));
            batch.Count.Should().BePositive($"records from {next} must be readable");
            foreach (var r in batch.Records)
            {
                r.Id.Should().Be(next);
                r.Payload.ToArray().Should().Equal(Payload(next), $"record {next} must come back byte-identical");
                next++;
            }
        }

        next.Should().Be(from + count);
    }

    [Fact]
    public async Task HappyPath_EverySealedSegmentArchived_LocalFilesEvicted_EveryIdReadsBackIdentical()
    {
        var options = Options();
        await using var log = await OpenAsync(options);
        await AppendAsync(log, 300);
        var sealedCount = log.GetInfo().Segments.Count(s => s.Status == SegmentStatus.Sealed);
        sealedCount.Should().BeGreaterThan(5);

        (await ArchiveAllAsync(log)).Should().Be(sealedCount);
        log.GetInfo().Segments.Where(s => s.Status != SegmentStatus.Active).Should().OnlyContain(s => s.Status == SegmentStatus.Archived && s.ArchiveKey != null && s.FileChecksum != 0);
        var evicted = await log.EvictArchivedAsync();
        evicted.Should().HaveCount(sealedCount - 2, "the newest two sealed segments stay local");

        var info = log.GetInfo();
        info.Segments.Count(s => s.Status == SegmentStatus.LocalEvicted).Should().Be(sealedCount - 2);
        info.Segments.Count(s => s.Status == SegmentStatus.Archived).Should().Be(2);
        foreach (var e in evicted)
        {
            File.Exists(Path.Combine(options.DataRoot, LogName, "0", "segments", e.FileName)).Should().BeFalse();
        }

        await AssertAllRecordsAsync(log, 0, 300);
        (await log.ReadBackwardAsync(299, 300)).Entries.Select(e => e.Id).Should().Equal(Enumerable.Range(0, 300).Reverse().Select(i => (long)i));
        (await log.FindIdAtTimestampAsync(DateTimeOffset.UnixEpoch)).Should().Be(0);
    }

    [Fact]
    public async Task ConcurrentReadsOfEvictedSegments_ThroughAOneSegmentReadCache_AllReadBackIdentical()
    {
        // Found by the stress harness: a read could take a segment from the read cache just before a concurrent fetch
        // dropped it (and deleted its file), and then fail with FileNotFoundException when it opened it.
        var options = Options(o => o.ArchiveReadCacheBytes = o.MaxSegmentBytes);
        await using var log = await OpenAsync(options);
        await AppendAsync(log, 400);
        await ArchiveAllAsync(log);
        var evicted = (await log.EvictArchivedAsync()).Select(s => (s.BaseId, s.LastId)).ToArray();
        evicted.Length.Should().BeGreaterThan(8);

        var rounds = Stress.Scale(150, 1500);
        await Task.WhenAll(Enumerable.Range(0, 6).Select(reader => Task.Run(async () =>
        {
            var random = new Random(reader);
            for (var i = 0; i < rounds; i++)
            {
                var (first, last) = evicted[random.Next(evicted.Length)];
                var from = random.NextInt64(first, last + 1);
                var batch = await log.ReadAsync(from, 5);
                batch.Count.Should().BePositive();
                foreach (var r in batch.Records)
                {
                    r.Payload.ToArray().Should().Equal(Payload(r.Id), $"record {r.Id} must come back byte-identical");
                }
            }
        })));
    }

    [Fact]
    public async Task CachedSegmentWhoseFileVanished_IsFetchedAgain_AndReadsBackIdentical()
    {
        // Found by the stress harness: an earlier instance of the partition that was still closing could evict (delete) a
        // file of the shared read cache that the new instance had cached; every later read of that segment failed with
        // FileNotFoundException. One open reader, so the cached segment is not held open.
        var options = Options(o =>
        {
            o.ArchiveReadCacheBytes = 1 << 20;
            o.OpenSegmentReaders = 1;
        });
        await using var log = await OpenAsync(options);
        await AppendAsync(log, 200);
        await ArchiveAllAsync(log);
        var evicted = await log.EvictArchivedAsync();
        evicted.Count.Should().BeGreaterThan(2);
        var (a, b) = (evicted[0], evicted[1]);
        (await log.ReadAsync(a.BaseId, 1)).Count.Should().Be(1);
        (await log.ReadAsync(b.BaseId, 1)).Count.Should().Be(1, "reading another segment closes the first one's file");
        var cached = Path.Combine(options.DataRoot, LogName, "0", "cache", a.FileName);
        File.Exists(cached).Should().BeTrue();
        File.Delete(cached);

        var count = (int)(a.LastId - a.BaseId + 1);
        var batch = await log.ReadAsync(a.BaseId, count);
        batch.Entries.Select(e => e.Id).Should().Equal(Enumerable.Range((int)a.BaseId, count).Select(i => (long)i));
        batch.Records.Should().OnlyContain(r => r.Payload.ToArray().SequenceEqual(Payload(r.Id)));
        File.Exists(cached).Should().BeTrue("the segment was fetched again");
    }

    [Fact]
    public async Task SegmentLeftInTheCacheFolderByAnEarlierOpen_StaysReadableAfterTheCacheEvictsIt()
    {
        // Found by the stress harness: a fetch that found its file already in the cache folder (left by an earlier open of
        // the partition) completed at once and stayed registered as "in progress"; once the cache evicted that segment,
        // every later read of it got the evicted copy and failed with FileNotFoundException.
        var options = Options(o =>
        {
            o.ArchiveReadCacheBytes = o.MaxSegmentBytes;
            o.OpenSegmentReaders = 1;
        });
        IReadOnlyList<SegmentInfo> evicted;
        await using (var first = await OpenAsync(options))
        {
            await AppendAsync(first, 200);
            await ArchiveAllAsync(first);
            evicted = await first.EvictArchivedAsync();
            (await first.ReadAsync(evicted[0].BaseId, 1)).Count.Should().Be(1);
        }

        await using var log = await OpenAsync(options);
        for (var round = 0; round < 3; round++)
        {
            foreach (var segment in evicted.Take(3))
            {
                var batch = await log.ReadAsync(segment.BaseId, 1);
                batch.Records.Single().Payload.ToArray().Should().Equal(Payload(segment.BaseId), $"round {round}, segment {segment.BaseId}");
            }
        }
    }

    [Fact]
    public async Task DuplicateSteps_NeverUploadTwice()
    {
        var counting = new CountingSegmentArchive(Archive);
        await using var log = await OpenAsync(Options(), counting);
        await AppendAsync(log, 100);
        var sealedCount = log.GetInfo().Segments.Count(s => s.Status == SegmentStatus.Sealed);
        var steps = await Task.WhenAll(Enumerable.Range(0, 3 * sealedCount).Select(_ => log.ArchiveNextAsync()));
        steps.Count(s => s is not null).Should().Be(sealedCount);
        counting.Puts.Should().Be(sealedCount);
        (await log.ArchiveNextAsync()).Should().BeNull();
        counting.Puts.Should().Be(sealedCount);
    }

    [Fact]
    public async Task CrashBetweenUploadAndCatalogUpdate_NextStepFinishesWithoutASecondUpload()
    {
        var counting = new CountingSegmentArchive(Archive);
        var options = Options();
        await using (var log = await OpenAsync(options, counting))
        {
            await AppendAsync(log, 60);
            counting.FailAfterNextPut = true;
            await log.Invoking(l => l.ArchiveNextAsync()).Should().ThrowAsync<IOException>();
            log.GetInfo().Segments[0].Status.Should().Be(SegmentStatus.Archiving);
        }

        await using (var log = await OpenAsync(options, counting))
        {
            log.GetInfo().Segments[0].Status.Should().Be(SegmentStatus.Archiving, "the catalog remembers the interrupted step");
            var archived = await log.ArchiveNextAsync();
            archived!.BaseId.Should().Be(0);
            archived.Status.Should().Be(SegmentStatus.Archived);
            counting.Puts.Should().Be(1, "the object already stored with the same facts is not uploaded again");
            await AssertAllRecordsAsync(log, 0, 60);
        }
    }

    [Fact]
    public async Task Outage_AppendsContinueUpToTheBacklogLimit_ThenBackpressure_ThenDrainAndResume()
    {
        var counting = new CountingSegmentArchive(Archive);
        await using var log = await OpenAsync(Options(o => o.MaxArchiveBacklogSegments = 3), counting);
        counting.Outage = true;
        Storage.LogBackpressureException? refused = null;
        var acknowledged = 0;
        while (refused is null && acknowledged < 2000)
        {
            try
            {
                await log.AppendAsync(Payload(log.NextId));
                acknowledged++;
            }
            catch (Storage.LogBackpressureException e)
            {
                refused = e;
            }

            if (acknowledged % 10 == 0 && log.ArchiveBacklog.Segments > 0)
            {
                await log.Invoking(l => l.ArchiveNextAsync()).Should().ThrowAsync<IOException>();
            }
        }

        refused.Should().NotBeNull();
        refused!.Reason.Should().Be(Storage.BackpressureReason.ArchiveBacklog);
        log.ArchiveBacklog.Segments.Should().Be(4);
        (await log.EvictArchivedAsync()).Should().BeEmpty("nothing unverified is ever evicted");
        log.GetInfo().Segments.Should().NotContain(s => s.Status == SegmentStatus.Archived || s.Status == SegmentStatus.LocalEvicted);

        counting.Outage = false;
        (await ArchiveAllAsync(log)).Should().Be(4);
        log.ArchiveBacklog.Should().Be((0, 0L));
        (await log.AppendAsync(Payload(log.NextId))).FirstId.Should().Be(acknowledged, "appends resume on their own");
        await log.EvictArchivedAsync();
        await AssertAllRecordsAsync(log, 0, acknowledged + 1);
    }

    [Fact]
    public async Task CatalogDeleted_RebuiltFromLocalFilesAndTheArchiveListing()
    {
        var options = Options();
        await using (var log = await OpenAsync(options))
        {
            await AppendAsync(log, 200);
            await ArchiveAllAsync(log);
            await log.EvictArchivedAsync();
        }

        var catalog = Path.Combine(options.DataRoot, LogName, "0", "catalog.db");
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(catalog)!, "catalog.db*"))
        {
            File.Delete(f);
        }

        await using (var log = await OpenAsync(options))
        {
            var info = log.GetInfo();
            info.NextId.Should().Be(200);
            info.Segments.Where(s => s.Status != SegmentStatus.Active).Should().OnlyContain(s => s.Status == SegmentStatus.LocalEvicted || s.Status == SegmentStatus.Archived);
            info.Segments.Count(s => s.Status == SegmentStatus.Archived).Should().Be(2);
            await AssertAllRecordsAsync(log, 0, 200);
        }
    }

    [Fact]
    public async Task RestoreIntoAnEmptyFolder_ContinuesAfterTheArchivedLastId()
    {
        var options = Options();
        long archivedLast;
        await using (var log = await OpenAsync(options))
        {
            await AppendAsync(log, 150);
            await log.AppendAsync(Payload(150), null, new Storage.ProducerStamp(42, 7));
            await log.SealAsync();
            await ArchiveAllAsync(log);
            archivedLast = log.GetInfo().Segments.Last(s => s.Status == SegmentStatus.Archived).LastId;
            archivedLast.Should().Be(150);
        }

        Directory.Delete(Path.Combine(options.DataRoot, LogName, "0"), recursive: true);
        await using (var log = await OpenAsync(options))
        {
            log.NextId.Should().Be(151, "never from 0");
            (await log.AppendAsync(Payload(150), null, new Storage.ProducerStamp(42, 7))).Should().Be(new AppendResult(150, 150, true, IsDuplicate: true));
            await AssertAllRecordsAsync(log, 0, 151);
            (await log.AppendAsync(Payload(151))).FirstId.Should().Be(151);
        }
    }

    [Fact]
    public async Task TotalRetention_DeletesOldArchivedSegments_AndMovesTheFirstId()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var options = Options(o => o.RetentionAge = TimeSpan.FromHours(1));
        await using var log = await OpenAsync(options, time: time);
        await AppendAsync(log, 100);
        await log.SealAsync();
        var oldSegments = log.GetInfo().Segments.Where(s => s.Status == SegmentStatus.Sealed).ToList();
        time.Advance(TimeSpan.FromHours(2));
        await AppendAsync(log, 10);
        await ArchiveAllAsync(log);
        await log.EvictArchivedAsync();

        var deleted = await log.ApplyRetentionAsync();
        deleted.Select(d => d.BaseId).Should().Equal(oldSegments.Select(s => s.BaseId));
        log.FirstId.Should().Be(100);
        var e = await log.Invoking(l => l.ReadAsync(99).AsTask()).Should().ThrowAsync<Storage.RecordTrimmedException>();
        e.Which.FirstId.Should().Be(100);
        await AssertAllRecordsAsync(log, 100, 10);
        (await log.ApplyRetentionAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task DamagedArchivedObject_ReadGivesTheIntegrityError_NeverData()
    {
        await using var log = await OpenAsync(Options());
        await AppendAsync(log, 200);
        await ArchiveAllAsync(log);
        var evicted = await log.EvictArchivedAsync();
        var victim = evicted[0];
        CorruptStoredObject(new ArchiveObjectKey(LogName, "0", victim.FileName));
        await log.Invoking(l => l.ReadAsync(victim.BaseId).AsTask()).Should().ThrowAsync<Storage.ArchiveIntegrityException>();
        await AssertAllRecordsAsync(log, evicted[1].BaseId, 200 - evicted[1].BaseId);
    }

    [Fact]
    public async Task ArchiveReader_ReadsArchivedRecordsWithoutTheWriter()
    {
        var archivedLast = await ArchiveAndCloseAsync(120, evict: true);
        using var reader = new ArchiveReader(Archive, LogName, "0", Temp.Combine("reader-cache"), maxCacheBytes: 16 * 1024);
        (await reader.GetLastArchivedIdAsync()).Should().Be(archivedLast);
        var next = 0L;
        while (next <= archivedLast)
        {
            var batch = await reader.ReadAsync(next, 50);
            batch.Count.Should().BePositive();
            foreach (var r in batch.Records)
            {
                r.Id.Should().Be(next);
                r.Payload.ToArray().Should().Equal(Payload(next));
                next++;
            }
        }

        (await reader.ReadAsync(archivedLast + 1)).Count.Should().Be(0, "ids past the archive are not there");
        Directory.GetFiles(Temp.Combine("reader-cache")).Length.Should().BeLessThanOrEqualTo(2, "the cache keeps to its byte budget");
    }

    [Fact]
    public async Task ArchiveReader_ConcurrentReadsThroughAOneSegmentCache_AllReadBackIdentical()
    {
        // Found by the 30-minute stress run: a read could look a segment up just before a concurrent fetch evicted it (and
        // deleted its file), and then fail with FileNotFoundException when it opened it.
        var archivedLast = await ArchiveAndCloseAsync(400, evict: false);
        archivedLast.Should().BeGreaterThan(100);
        using var reader = new ArchiveReader(Archive, LogName, "0", Temp.Combine("reader-cache"), maxCacheBytes: 1);
        var rounds = FetchHeavyReadRounds;
        var read = 0L;
        await Task.WhenAll(Enumerable.Range(0, 6).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            for (var i = 0; i < rounds; i++)
            {
                var from = random.NextInt64(0, archivedLast + 1);
                var batch = await reader.ReadAsync(from, 5);
                batch.Count.Should().BePositive($"id {from} is archived");
                batch[0].Id.Should().Be(from);
                foreach (var r in batch.Records)
                {
                    r.Payload.ToArray().Should().Equal(Payload(r.Id), $"record {r.Id} must come back byte-identical");
                }

                Interlocked.Add(ref read, batch.Count);
            }
        })));

        read.Should().BeGreaterThanOrEqualTo(6 * rounds);
        Directory.GetFiles(Temp.Combine("reader-cache")).Length.Should().Be(1, "a one-byte budget keeps only the newest fetch");
    }

    [Fact]
    public async Task NewPartition_ArchiveUnreachable_OpenFailsRatherThanStartingAFreshLog()
    {
        var unreachable = new CountingSegmentArchive(Archive) { Outage = true };
        await FluentActions.Invoking(() => OpenAsync(Options(), unreachable)).Should().ThrowAsync<IOException>(
            "without the archive an empty folder cannot tell a new partition from one whose history is archived");
    }

    [Fact]
    public async Task OrdinaryOpen_DoesNotNeedTheArchive()
    {
        var options = Options();
        await using (var log = await OpenAsync(options))
        {
            await AppendAsync(log, 50);
            await ArchiveAllAsync(log);
        }

        var unreachable = new CountingSegmentArchive(Archive) { Outage = true };
        await using (var log = await OpenAsync(options, unreachable))
        {
            log.NextId.Should().Be(50);
            unreachable.Calls.Should().Be(0);
        }
    }

    private string PartitionDir(PartitionLogOptions options) => Path.Combine(options.DataRoot, LogName, "0");

    protected string SegmentPath(PartitionLogOptions options, SegmentInfo segment) => Path.Combine(PartitionDir(options), "segments", segment.FileName);

    private static void FlipPayloadByte(string path, long offset)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        f.Position = offset;
        var b = f.ReadByte();
        f.Position = offset;
        f.WriteByte((byte)(b ^ 0x5A));
    }

    [Fact]
    public async Task ArchivedSegmentsWhoseLocalFilesVanished_AreReadFromTheArchiveAfterReopen()
    {
        // The window of a crash between an eviction's delete and its catalog update (the order before eviction recorded
        // its intent first): the catalog says Archived, the file is gone.
        var options = Options(o => o.KeepLocalSegments = 1);
        List<SegmentInfo> archived;
        await using (var log = await OpenAsync(options))
        {
            await AppendAsync(log, 200);
            await ArchiveAllAsync(log);
            archived = [.. log.GetInfo().Segments.Where(s => s.Status == SegmentStatus.Archived)];
            archived.Should().HaveCountGreaterThan(3);
        }

        foreach (var s in archived.Take(archived.Count - 1))
        {
            File.Delete(SegmentPath(options, s));
        }

        await using (var log = await OpenAsync(options))
        {
            var info = log.GetInfo();
            info.Segments.Where(s => archived.Take(archived.Count - 1).Any(a => a.BaseId == s.BaseId)).Should().OnlyContain(s => s.Status == SegmentStatus.LocalEvicted);
            await AssertAllRecordsAsync(log, 0, 200);
            (await log.AppendAsync(Payload(200))).FirstId.Should().Be(200);
        }
    }

    [Fact]
    public async Task SealedRowWithoutItsFile_TheArchiveHoldsIt_ReopenListsTheArchiveAndServesIt()
    {
        var options = Options();
        SegmentInfo victim;
        await using (var log = await OpenAsync(options))
        {
            await AppendAsync(log, 200);
            await ArchiveAllAsync(log);
            victim = log.GetInfo().Segments.First(s => s.Status == SegmentStatus.Archived);
        }

        // The catalog lost the archival progress of the segment (for example it was recorded only in the archive).
        var catalogPath = Path.Combine(PartitionDir(options), "catalog.db");
        using (var catalog = OrleansAof.Storage.Catalog.SegmentCatalog.Open(catalogPath))
        {
            var row = catalog.ReadAll().Single(r => r.BaseId == victim.BaseId);
            catalog.Upsert(row with { Status = SegmentStatus.Sealed, ArchiveKey = null });
        }

        File.Delete(SegmentPath(options, victim));
        await using (var log = await OpenAsync(options))
        {
            log.GetInfo().Segments.Single(s => s.BaseId == victim.BaseId).Status.Should().Be(SegmentStatus.LocalEvicted);
            await AssertAllRecordsAsync(log, 0, 200);
        }
    }

    [Fact]
    public async Task IdsThatNoFileAndNoObjectHold_AreReportedMissing_ReadsFailTyped_AppendsContinueWithoutReuse()
    {
        var options = Options();
        SegmentInfo victim;
        await using (var log = await OpenAsync(options))
        {
            await AppendAsync(log, 200);
            victim = log.GetInfo().Segments.First(s => s.Status == SegmentStatus.Sealed && s.BaseId > 0);
        }

        // A sealed segment never archived and deleted from outside (an operator's mistake, a bad disk).
        File.Delete(SegmentPath(options, victim));
        await using (var log = await OpenAsync(options))
        {
            var row = log.GetInfo().Segments.Single(s => s.BaseId == victim.BaseId);
            row.Status.Should().Be(SegmentStatus.Missing);
            (row.BaseId, row.LastId).Should().Be((victim.BaseId, victim.LastId));
            var read = await log.Invoking(l => l.ReadAsync(victim.BaseId + 1).AsTask()).Should().ThrowAsync<Storage.RecordsMissingException>();
            (read.Which.FirstMissingId, read.Which.LastMissingId, read.Which.NextId).Should().Be((victim.BaseId, victim.LastId, victim.LastId + 1));

            // A read from before the gap stops at it; the next read, from the gap, says where to continue.
            var before = await log.ReadAsync(victim.BaseId - 3, 1000);
            before.Records.Select(static r => r.Id).Should().Equal(victim.BaseId - 3, victim.BaseId - 2, victim.BaseId - 1);
            before.NextId.Should().Be(victim.BaseId);
            await AssertAllRecordsAsync(log, 0, victim.BaseId);
            await AssertAllRecordsAsync(log, victim.LastId + 1, 200 - victim.LastId - 1);
            (await log.AppendAsync(Payload(200))).FirstId.Should().Be(200, "no id is handed out twice");
        }

        await using (var log = await OpenAsync(options))
        {
            log.GetInfo().Segments.Single(s => s.BaseId == victim.BaseId).Status.Should().Be(SegmentStatus.Missing, "the finding stays until an operator acts");
        }
    }

    [Fact]
    public async Task ActiveSegmentFileVanished_PartitionOpensFaulted_AndNeverHandsItsIdsOutAgain()
    {
        var options = Options();
        SegmentInfo active;
        await using (var log = await OpenAsync(options))
        {
            await AppendAsync(log, 100);
            active = log.GetInfo().Segments.Single(s => s.Status == SegmentStatus.Active);
            active.BaseId.Should().BePositive();
        }

        File.Delete(SegmentPath(options, active));
        for (var round = 0; round < 2; round++)
        {
            await using var log = await OpenAsync(options);
            log.State.Should().Be(PartitionState.Faulted, "round {0}: the ids of the lost active segment are unknown", round);
            log.FaultReason.Should().Contain(active.FileName);
            await log.Invoking(l => l.AppendAsync(Payload(0)).AsTask()).Should().ThrowAsync<Storage.PartitionFaultedException>();
            await AssertAllRecordsAsync(log, 0, active.BaseId);
        }
    }

    [Fact]
    public async Task DamagedLocalCopyOfAnArchivedSegment_ReadHealsFromTheArchive_FileQuarantined()
    {
        var options = Options();
        await using var log = await OpenAsync(options);
        await AppendAsync(log, 200);
        await ArchiveAllAsync(log);
        var victim = log.GetInfo().Segments.First(s => s.Status == SegmentStatus.Archived && s.BaseId > 0);

        // Flip a byte in the middle of a record's payload of the local file (under the running partition).
        var path = SegmentPath(options, victim);
        var marker = System.Text.Encoding.UTF8.GetBytes($"record {victim.BaseId + 1} ");
        var at = File.ReadAllBytes(path).AsSpan().IndexOf(marker);
        at.Should().BePositive();
        FlipPayloadByte(path, at + 2);
        await AssertAllRecordsAsync(log, 0, 200);
        var healed = log.GetInfo().Segments.Single(s => s.BaseId == victim.BaseId);
        healed.Status.Should().Be(SegmentStatus.LocalEvicted);
        File.Exists(SegmentPath(options, victim)).Should().BeFalse();
        Directory.GetFiles(Path.Combine(PartitionDir(options), "quarantine")).Select(Path.GetFileName).Should().Contain(victim.FileName);
    }

    [Fact]
    public async Task DeletedLocalCopyOfAnArchivedSegment_ReadHealsFromTheArchive()
    {
        var options = Options(o => o.OpenSegmentReaders = 1);
        await using var log = await OpenAsync(options);
        await AppendAsync(log, 200);
        await ArchiveAllAsync(log);
        var victim = log.GetInfo().Segments.First(s => s.Status == SegmentStatus.Archived && s.BaseId > 0);

        // With one open-reader slot, later seals closed the victim's file, so a read must open it again.
        File.Delete(SegmentPath(options, victim));
        await AssertAllRecordsAsync(log, 0, 200);
        log.GetInfo().Segments.Single(s => s.BaseId == victim.BaseId).Status.Should().Be(SegmentStatus.LocalEvicted);
    }

    [Fact]
    public async Task EvictionRecordsItsIntentBeforeItDeletes_AndReopenKeepsAStillPresentFile()
    {
        var options = Options(o => o.KeepLocalSegments = 1);
        List<SegmentInfo> evicted;
        await using (var log = await OpenAsync(options))
        {
            await AppendAsync(log, 200);
            await ArchiveAllAsync(log);
            evicted = [.. await log.EvictArchivedAsync()];
            evicted.Should().NotBeEmpty();
        }

        // Put a copy of one evicted file back: the state after a crash between the catalog update and the delete.
        var back = evicted[0];
        await using (var probe = await OpenAsync(options))
        {
            (await probe.ReadAsync(back.BaseId, 1)).Count.Should().Be(1);
        }

        var cached = Directory.GetFiles(Path.Combine(PartitionDir(options), "cache"), back.FileName).Should().ContainSingle().Subject;
        File.Copy(cached, SegmentPath(options, back));
        await using (var log = await OpenAsync(options))
        {
            log.GetInfo().Segments.Single(s => s.BaseId == back.BaseId).Status.Should().Be(SegmentStatus.Archived, "the file is good and the archive holds it");
            await AssertAllRecordsAsync(log, 0, 200);
            (await log.EvictArchivedAsync()).Select(e => e.BaseId).Should().Contain(back.BaseId);
            File.Exists(SegmentPath(options, back)).Should().BeFalse();
        }
    }

    [Fact]
    public async Task Eviction_ArchiveNoLongerHoldsTheObject_KeepsTheLocalFileAndArchivesAgain()
    {
        var options = Options(o => o.KeepLocalSegments = 1);
        await using var log = await OpenAsync(options);
        await AppendAsync(log, 200);
        await ArchiveAllAsync(log);
        var victim = log.GetInfo().Segments.First(s => s.Status == SegmentStatus.Archived);
        await Archive.DeleteAsync(new ArchiveObjectKey(LogName, "0", victim.FileName), CancellationToken.None);

        var evicted = await log.EvictArchivedAsync();
        evicted.Select(e => e.BaseId).Should().NotContain(victim.BaseId);
        File.Exists(SegmentPath(options, victim)).Should().BeTrue("the only copy stays");
        log.GetInfo().Segments.Single(s => s.BaseId == victim.BaseId).Status.Should().Be(SegmentStatus.Sealed);
        (await ArchiveAllAsync(log)).Should().Be(1);
        (await log.EvictArchivedAsync()).Select(e => e.BaseId).Should().Contain(victim.BaseId);
        await AssertAllRecordsAsync(log, 0, 200);
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Temp.Dispose();
        }
    }
}
