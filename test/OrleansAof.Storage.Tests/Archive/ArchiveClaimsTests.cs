using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Archive;

/// <summary>
/// Seek by timestamp across evicted, sealed and active segments; exactly which segments <c>KeepLocalBytes</c> and
/// <c>KeepLocalAge</c> leave on disk; total retention deleting the archived object. Real files, a <see cref="FileSystemArchive"/>.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class ArchiveClaimsTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new("claims");
    private readonly FakeTimeProvider _time = new(T0);
    private readonly FileSystemArchive _archive;

    public ArchiveClaimsTests()
    {
        _archive = new FileSystemArchive(new FileSystemArchiveOptions { RootPath = _temp.Combine("archive") });
    }

    private PartitionLogOptions Options(Action<PartitionLogOptions>? configure = null)
    {
        var o = new PartitionLogOptions
        {
            DataRoot = _temp.Combine("data"),
            MaxSegmentBytes = 64 * 1024,
            MaxRecordBytes = 1024,
            Preallocation = PreallocationMode.None,
            KeepLocalSegments = 1,
            MaxArchiveBacklogBytes = 1 << 20,
        };
        configure?.Invoke(o);
        return o;
    }

    private Task<PartitionLog> OpenAsync(PartitionLogOptions options) =>
        PartitionLog.OpenAsync("claims", "0", options, new PartitionLogEnvironment { Archive = _archive, TimeProvider = _time });

    private static byte[] Payload(long id) => System.Text.Encoding.UTF8.GetBytes($"record {id} padded to a fixed length");

    private static string SegmentPath(PartitionLogOptions options, SegmentInfo s) => Path.Combine(options.DataRoot, "claims", "0", "segments", s.FileName);

    private string ArchivedPath(SegmentInfo s) => Path.Combine(_archive.RootPath, "claims", "0", s.FileName);

    /// <summary>Appends <paramref name="count"/> records, advancing the clock <paramref name="step"/> before each.</summary>
    private async Task AppendAsync(PartitionLog log, int count, TimeSpan step)
    {
        for (var i = 0; i < count; i++)
        {
            _time.Advance(step);
            var id = log.NextId;
            (await log.AppendAsync(Payload(id))).FirstId.Should().Be(id);
        }
    }

    private static async Task ArchiveAllAsync(PartitionLog log)
    {
        while (await log.ArchiveNextAsync() is not null)
        {
        }
    }

    private static long[] LocalBases(PartitionLog log) =>
        [.. log.GetInfo().Segments.Where(s => s.Status != SegmentStatus.LocalEvicted).Select(s => s.BaseId)];

    [Fact]
    public async Task SeekByTimestamp_LandsOnTheExactId_InEvictedSealedAndActiveSegments()
    {
        // Record i is written at T0 + (i + 1) s; segments [0..9] [10..19] [20..29] sealed, [30..34] active.
        var options = Options();
        await using var log = await OpenAsync(options);
        for (var s = 0; s < 3; s++)
        {
            await AppendAsync(log, 10, TimeSpan.FromSeconds(1));
            (await log.SealAsync()).Should().NotBeNull();
        }

        await AppendAsync(log, 5, TimeSpan.FromSeconds(1));
        await ArchiveAllAsync(log);
        (await log.EvictArchivedAsync()).Select(e => e.BaseId).Should().Equal(0, 10);
        log.GetInfo().Segments.Select(s => (s.BaseId, s.Status)).Should().Equal(
            (0, SegmentStatus.LocalEvicted), (10, SegmentStatus.LocalEvicted), (20, SegmentStatus.Archived), (30, SegmentStatus.Active));

        static DateTimeOffset At(long id) => T0 + TimeSpan.FromSeconds(id + 1);
        var half = TimeSpan.FromMilliseconds(500);
        var cases = new (string Where, DateTimeOffset Time, long Id)[]
        {
            ("long before the first record", DateTimeOffset.UnixEpoch, 0),
            ("just before the first record", At(0) - half, 0),
            ("exactly at the first record", At(0), 0),
            ("exactly at a record in an evicted segment", At(3), 3),
            ("between records in an evicted segment", At(3) + half, 4),
            ("between the last record of an evicted segment and the next segment", At(9) + half, 10),
            ("exactly at the last record of an evicted segment", At(19), 19),
            ("between records in the local sealed segment", At(24) + half, 25),
            ("exactly at the first record of the active segment", At(30), 30),
            ("between records in the active segment", At(32) + half, 33),
            ("exactly at the last record", At(34), 34),
            ("after the last record", At(34) + half, 35),
            ("long after the last record", At(34) + TimeSpan.FromDays(1), 35),
        };
        foreach (var (where, time, id) in cases)
        {
            (await log.FindIdAtTimestampAsync(time)).Should().Be(id, where);
            var batch = await log.ReadFromTimestampAsync(time, 1);
            if (id < 35)
            {
                batch.Records.Select(r => r.Id).Should().Equal([id], where);
                batch.Records.First().Payload.ToArray().Should().Equal(Payload(id), where);
            }
            else
            {
                batch.Count.Should().Be(0, where);
            }
        }
    }

    [Fact]
    public async Task KeepLocalBytes_EvictsTheOldestArchivedSegments_WhileTheRestStillHoldsAtLeastThatMuch()
    {
        await AssertKeepLocalBytesAsync(extra: 0, expectedLocal: [20, 30, 40]);
    }

    [Fact]
    public async Task KeepLocalBytes_OneByteMore_KeepsOneSegmentMoreLocal()
    {
        await AssertKeepLocalBytesAsync(extra: 1, expectedLocal: [10, 20, 30, 40]);
    }

    /// <summary>
    /// Five sealed, archived segments of ten records; <c>KeepLocalBytes</c> is the size of the newest three plus
    /// <paramref name="extra"/>.
    /// </summary>
    private async Task AssertKeepLocalBytesAsync(long extra, long[] expectedLocal)
    {
        var sizes = new List<SegmentInfo>();
        var options = Options();
        await using (var log = await OpenAsync(options))
        {
            for (var s = 0; s < 5; s++)
            {
                await AppendAsync(log, 10, TimeSpan.FromSeconds(1));
                await log.SealAsync();
            }

            await ArchiveAllAsync(log);
            sizes = [.. log.GetInfo().Segments.Where(s => s.Status == SegmentStatus.Archived)];
        }

        sizes.Select(s => s.BaseId).Should().Equal(0, 10, 20, 30, 40);
        options.KeepLocalBytes = sizes.Skip(2).Sum(s => s.SizeBytes) + extra;
        await using (var log = await OpenAsync(options))
        {
            var evicted = await log.EvictArchivedAsync();
            evicted.Select(e => e.BaseId).Should().Equal(sizes.Select(s => s.BaseId).Except(expectedLocal));
            LocalBases(log).Should().Equal([.. expectedLocal, 50]);
            foreach (var s in sizes)
            {
                File.Exists(SegmentPath(options, s)).Should().Be(expectedLocal.Contains(s.BaseId), $"segment {s.BaseId}");
                File.Exists(ArchivedPath(s)).Should().BeTrue($"the archive keeps segment {s.BaseId}");
            }

            (await log.EvictArchivedAsync()).Should().BeEmpty();
        }
    }

    [Fact]
    public async Task KeepLocalAge_EvictsExactlyTheSegmentsSealedAtLeastThatLongAgo()
    {
        // Segment k (base 10k) is sealed at T0 + 10 min * k + 10 s; the check runs 5 min after the last seal, so the
        // ages are 45, 35, 25, 15 and 5 minutes; KeepLocalAge 25 min evicts bases 0, 10 and 20 (20 exactly at the limit).
        var options = Options(o => o.KeepLocalAge = TimeSpan.FromMinutes(25));
        await using var log = await OpenAsync(options);
        for (var s = 0; s < 5; s++)
        {
            await AppendAsync(log, 10, TimeSpan.FromSeconds(1));
            (await log.SealAsync())!.SealedAt.Should().Be(T0 + TimeSpan.FromMinutes(10 * s) + TimeSpan.FromSeconds(10));
            if (s < 4)
            {
                _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(10));
            }
        }

        _time.Advance(TimeSpan.FromMinutes(5));
        await ArchiveAllAsync(log);
        var rows = log.GetInfo().Segments.Where(s => s.Status == SegmentStatus.Archived).ToList();
        (await log.EvictArchivedAsync()).Select(e => e.BaseId).Should().Equal(0, 10, 20);
        LocalBases(log).Should().Equal(30, 40, 50);
        foreach (var s in rows)
        {
            File.Exists(SegmentPath(options, s)).Should().Be(s.BaseId >= 30, $"segment {s.BaseId}");
        }

        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(10));
        (await log.EvictArchivedAsync()).Should().BeEmpty("segment 30 is one microsecond short of 25 minutes old");
        _time.Advance(TimeSpan.FromTicks(10));
        (await log.EvictArchivedAsync()).Select(e => e.BaseId).Should().Equal(30);
        await AssertRecordsAsync(log, 50);
    }

    [Fact]
    public async Task TotalRetention_DeletesTheArchivedObjectAndTheLocalFile_OfExactlyTheSegmentsOlderThanTheAge()
    {
        // Segment [0..9] ends at T0 + 10 s; [10..19] ends at T0 + 20 s; [20..29] at T0 + 1 h + 19 s. The clock then
        // moves to T0 + 1 h + 20 s: [10..19] is exactly RetentionAge old (kept: only older is deleted), [0..9] 10 s older.
        var options = Options(o => { o.RetentionAge = TimeSpan.FromHours(1); o.KeepLocalSegments = 5; });
        await using var log = await OpenAsync(options);
        await AppendAsync(log, 10, TimeSpan.FromSeconds(1));
        await log.SealAsync();
        await AppendAsync(log, 10, TimeSpan.FromSeconds(1));
        await log.SealAsync();
        _time.Advance(TimeSpan.FromHours(1) - TimeSpan.FromSeconds(11));
        await AppendAsync(log, 10, TimeSpan.FromSeconds(1));
        await log.SealAsync();
        await ArchiveAllAsync(log);
        var rows = log.GetInfo().Segments.Where(s => s.Status == SegmentStatus.Archived).ToList();
        rows.Select(s => s.BaseId).Should().Equal(0, 10, 20);
        rows.Should().OnlyContain(s => File.Exists(ArchivedPath(s)) && File.Exists(SegmentPath(options, s)));
        _time.SetUtcNow(T0 + TimeSpan.FromSeconds(20) + TimeSpan.FromHours(1));

        (await log.ApplyRetentionAsync()).Select(d => d.BaseId).Should().Equal(0);
        File.Exists(ArchivedPath(rows[0])).Should().BeFalse("retention deletes the archived object");
        File.Exists(SegmentPath(options, rows[0])).Should().BeFalse("retention deletes the local copy");
        File.Exists(ArchivedPath(rows[1])).Should().BeTrue("segment 10 is exactly RetentionAge old");
        File.Exists(SegmentPath(options, rows[1])).Should().BeTrue();
        (await _archive.GetInfoAsync(new ArchiveObjectKey("claims", "0", rows[0].FileName), CancellationToken.None)).Should().BeNull();
        log.FirstId.Should().Be(10);
        log.GetInfo().Segments.Select(s => s.BaseId).Should().Equal(10, 20, 30);

        _time.Advance(TimeSpan.FromTicks(10));
        (await log.ApplyRetentionAsync()).Select(d => d.BaseId).Should().Equal(10);
        File.Exists(ArchivedPath(rows[1])).Should().BeFalse();
        File.Exists(ArchivedPath(rows[2])).Should().BeTrue();
        log.FirstId.Should().Be(20);
    }

    private static async Task AssertRecordsAsync(PartitionLog log, long count)
    {
        var next = 0L;
        while (next < count)
        {
            var batch = await log.ReadAsync(next, 7);
            batch.Count.Should().BePositive($"records from {next} must be readable");
            foreach (var r in batch.Records)
            {
                r.Id.Should().Be(next);
                r.Payload.ToArray().Should().Equal(Payload(next));
                next++;
            }
        }
    }

    public void Dispose() => _temp.Dispose();
}
