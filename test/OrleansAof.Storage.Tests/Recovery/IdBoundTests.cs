using FluentAssertions;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>
/// Ids are never handed out twice, also after a lost volume: the partition keeps a durable upper bound of the ids it
/// handed out (<see cref="IIdBoundStore"/>), refuses to open when ids up to it are held nowhere, and continues after it
/// only by an operator's decision, leaving an explicit gap.
/// </summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public class IdBoundTests : RecoveryTestBase
{
    private const int Reservation = 50;

    /// <summary>An id bound store in memory (the server's is the cluster's durable grain storage); can fail on demand.</summary>
    private sealed class MemoryBounds : IIdBoundStore
    {
        private readonly Dictionary<string, long> _bounds = [];

        public bool Fail { get; set; }

        public int Writes { get; private set; }

        public long? Get(string log, string partition)
        {
            lock (_bounds)
            {
                return _bounds.TryGetValue(log + "/" + partition, out var b) ? b : null;
            }
        }

        public Task<long?> ReadAsync(string log, string partition, CancellationToken cancellationToken) =>
            Fail ? Task.FromException<long?>(new IOException("the bound store is down")) : Task.FromResult(Get(log, partition));

        public Task WriteAsync(string log, string partition, long bound, CancellationToken cancellationToken)
        {
            if (Fail)
            {
                return Task.FromException(new IOException("the bound store is down"));
            }

            lock (_bounds)
            {
                _bounds[log + "/" + partition] = bound;
                Writes++;
            }

            return Task.CompletedTask;
        }
    }

    private readonly MemoryBounds _bounds = new();

    private FileSystemArchive NewArchive() => new(new FileSystemArchiveOptions { RootPath = Temp.Combine("archive") });

    private PartitionLogOptions BoundOptions(LostIdsPolicy lostIds = LostIdsPolicy.Refuse) => Options(o =>
    {
        o.MaxSegmentBytes = 4096;
        o.IdReservation = Reservation;
        o.LostIds = lostIds;
    });

    private Task<PartitionLog> OpenWithBoundsAsync(PartitionLogOptions options, ISegmentArchive? archive) =>
        PartitionLog.OpenAsync(LogName, PartitionName, options, new PartitionLogEnvironment { Archive = archive, IdBounds = _bounds });

    /// <summary>Appends <paramref name="count"/> records checking each acknowledged id against the recorded bound; seals and archives all; returns the last id.</summary>
    private async Task<long> AppendArchiveAndCloseAsync(ISegmentArchive? archive, int count, int unarchivedTail)
    {
        await using var log = await OpenWithBoundsAsync(BoundOptions(), archive);
        for (var i = 0; i < count; i++)
        {
            var r = await log.AppendAsync(Payload(i, 60));
            r.FirstId.Should().Be(i);
            _bounds.Get(LogName, PartitionName).Should().BeGreaterThanOrEqualTo(r.LastId, "an id is handed out only below the recorded bound");
            if (i == count - unarchivedTail - 1 && archive is not null)
            {
                await log.SealAsync();
                while (await log.ArchiveNextAsync() is not null)
                {
                }
            }
        }

        return log.LastId;
    }

    /// <summary>
    /// <see cref="PartitionLogOptions.CreateIfMissing"/> off (how the server opens a partition for a call that may only
    /// read): a partition that never existed is not created, and no bound is recorded; one that existed and lost its folder
    /// is still refused by the lost-volume rule, not mistaken for a partition that never existed; and an archive holding
    /// the partition's segments makes the open restore it.
    /// </summary>
    [Fact]
    public async Task CreateIfMissingOff_CreatesNothingForANewPartition_ButAPartitionThatExistedStillOpensOrIsRefused()
    {
        var archive = NewArchive();
        var readOnly = BoundOptions();
        readOnly.CreateIfMissing = false;
        await FluentActions.Invoking(() => OpenWithBoundsAsync(readOnly, archive)).Should().ThrowAsync<PartitionNotFoundException>();
        Directory.Exists(Path.Combine(Temp.Path, LogName)).Should().BeFalse("nothing is created");
        _bounds.Writes.Should().Be(0, "no id bound is recorded for a partition that does not exist");

        var last = await AppendArchiveAndCloseAsync(archive, 120, unarchivedTail: 30);
        Directory.Delete(PartitionDirectory(Temp.Path), recursive: true);
        await FluentActions.Invoking(() => OpenWithBoundsAsync(readOnly, archive)).Should().ThrowAsync<PartitionDataLostException>("ids up to the bound were handed out: a lost volume, not a new partition");

        // Without a bound store, the archive alone says the partition existed: the open restores it.
        await using var restored = await PartitionLog.OpenAsync(LogName, PartitionName, readOnly, new PartitionLogEnvironment { Archive = archive });
        restored.LastId.Should().Be(last - 30, "the archived part of the partition is back");
    }

    [Fact]
    public async Task LostVolume_OpenRefusesWithTheTypedError_AndAsksTheOperator()
    {
        var archive = NewArchive();
        var last = await AppendArchiveAndCloseAsync(archive, 120, unarchivedTail: 30);
        var bound = _bounds.Get(LogName, PartitionName)!.Value;
        bound.Should().BeGreaterThan(last);
        Directory.Delete(PartitionDirectory(Temp.Path), recursive: true);

        for (var attempt = 0; attempt < 2; attempt++)
        {
            var open = () => OpenWithBoundsAsync(BoundOptions(), archive);
            var error = (await open.Should().ThrowAsync<PartitionDataLostException>()).Which;
            error.HeldThrough.Should().Be(89, "ids 0..89 are archived");
            error.Bound.Should().Be(bound);
            error.Message.Should().Contain($"{LogName}/{PartitionName}").And.Contain("90..").And.Contain("aof restore --skip-lost-ids");
            _bounds.Get(LogName, PartitionName).Should().Be(bound, "a refused open changes no bound");
        }
    }

    [Fact]
    public async Task LostVolume_OperatorSkipsTheLostIds_GapIsMissing_NextIdIsPastTheBound_ArchivedIdsReadBack()
    {
        var archive = NewArchive();
        await AppendArchiveAndCloseAsync(archive, 120, unarchivedTail: 30);
        var bound = _bounds.Get(LogName, PartitionName)!.Value;
        Directory.Delete(PartitionDirectory(Temp.Path), recursive: true);
        await FluentActions.Invoking(() => OpenWithBoundsAsync(BoundOptions(), archive)).Should().ThrowAsync<PartitionDataLostException>();

        await using (var log = await OpenWithBoundsAsync(BoundOptions(LostIdsPolicy.SkipPastBound), archive))
        {
            log.State.Should().Be(PartitionState.Open);
            log.NextId.Should().Be(bound + 1);
            var gap = log.GetInfo().Segments.Single(static s => s.Status == SegmentStatus.Missing);
            (gap.BaseId, gap.LastId).Should().Be((90L, bound));
        }

        await using (var log = await OpenWithBoundsAsync(BoundOptions(), archive))
        {
            log.NextId.Should().Be(bound + 1, "the decision is applied once; the gap stays");
            for (var id = 0; id < 90; id++)
            {
                (await log.ReadAsync(id, 1))[0].Payload.ToArray().Should().Equal(Payload(id, 60));
            }

            (await log.Invoking(l => l.ReadAsync(90, 1).AsTask()).Should().ThrowAsync<RecordsMissingException>()).Which.NextId.Should().Be(bound + 1);
            (await log.AppendAsync(Payload(1000, 60))).FirstId.Should().Be(bound + 1);
        }
    }

    [Fact]
    public async Task Handover_GivesTheReservationBack_NewOwnerContinuesRightAfterTheLastId()
    {
        var archive = NewArchive();
        await using (var log = await OpenWithBoundsAsync(BoundOptions(), archive))
        {
            for (var i = 0; i < 70; i++)
            {
                await log.AppendAsync(Payload(i, 60));
            }

            await log.SealAsync();
            while (await log.ArchiveNextAsync() is not null)
            {
            }

            await log.ReleaseIdReservationAsync();
            _bounds.Get(LogName, PartitionName).Should().Be(69);
        }

        // The new owner's folder is empty: everything acknowledged is archived, so it continues at 70, no gap.
        Directory.Delete(PartitionDirectory(Temp.Path), recursive: true);
        await using (var log = await OpenWithBoundsAsync(BoundOptions(), archive))
        {
            log.NextId.Should().Be(70);
            log.GetInfo().Segments.Should().NotContain(static s => s.Status == SegmentStatus.Missing);
            (await log.AppendAsync(Payload(70, 60))).FirstId.Should().Be(70);
            _bounds.Get(LogName, PartitionName).Should().BeGreaterThanOrEqualTo(70);
        }
    }

    [Fact]
    public async Task BrandNewPartition_OpensDuringAnArchiveOutage_AndIsNotAskedToRestore()
    {
        var down = new CountingSegmentArchive(NewArchive()) { Outage = true };
        await using var log = await OpenWithBoundsAsync(BoundOptions(), down);
        (await log.AppendAsync(Payload(0, 60))).Should().Be(new AppendResult(0, 0, true));
        _bounds.Get(LogName, PartitionName).Should().Be(Reservation - 1);
    }

    [Fact]
    public async Task LostVolume_NothingArchived_StillRefused()
    {
        await AppendArchiveAndCloseAsync(archive: null, 40, unarchivedTail: 40);
        Directory.Delete(PartitionDirectory(Temp.Path), recursive: true);
        var error = (await FluentActions.Invoking(() => OpenWithBoundsAsync(BoundOptions(), null)).Should().ThrowAsync<PartitionDataLostException>()).Which;
        error.HeldThrough.Should().Be(-1);
        error.Bound.Should().BeGreaterThanOrEqualTo(39);
    }

    [Fact]
    public async Task LostActiveSegment_WithABound_RefusedThenSkippedByTheOperator()
    {
        long activeBase;
        await using (var log = await OpenWithBoundsAsync(BoundOptions(), null))
        {
            for (var i = 0; i < 60; i++)
            {
                await log.AppendAsync(Payload(i, 60));
            }

            activeBase = log.GetInfo().Segments.Single(static s => s.Status == SegmentStatus.Active).BaseId;
        }

        File.Delete(Path.Combine(SegmentsDirectory(Temp.Path), OrleansAof.Storage.PartitionLayout.SegmentFileName(activeBase)));
        var error = (await FluentActions.Invoking(() => OpenWithBoundsAsync(BoundOptions(), null)).Should().ThrowAsync<PartitionDataLostException>()).Which;
        error.HeldThrough.Should().Be(activeBase - 1);
        await using (var log = await OpenWithBoundsAsync(BoundOptions(LostIdsPolicy.SkipPastBound), null))
        {
            log.State.Should().Be(PartitionState.Open);
            log.NextId.Should().Be(error.Bound + 1);
            (await log.ReadAsync(0, (int)activeBase)).Count.Should().Be((int)activeBase);
        }
    }

    [Fact]
    public async Task ReservationIsRaisedAhead_AndAStoreOutagePastItRefusesAppendsWithBackpressureUntilItReturns()
    {
        await using var log = await OpenWithBoundsAsync(BoundOptions(), null);
        for (var i = 0; i < Reservation * 3; i++)
        {
            var r = await log.AppendAsync(Payload(i, 10));
            _bounds.Get(LogName, PartitionName).Should().BeGreaterThanOrEqualTo(r.LastId);
        }

        _bounds.Writes.Should().BeInRange(3, 8, "the bound is raised once per half reservation or so, not per append");
        _bounds.Fail = true;
        var appended = 0;
        var refused = false;
        for (var i = 0; i < Reservation * 2 && !refused; i++)
        {
            try
            {
                await log.AppendAsync(Payload(i, 10)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                appended++;
            }
            catch (LogBackpressureException e)
            {
                e.Reason.Should().Be(BackpressureReason.IdReservation);
                refused = true;
            }
        }

        refused.Should().BeTrue("no id past the recorded bound is handed out while the store is down");
        log.LastId.Should().BeLessThanOrEqualTo(_bounds.Get(LogName, PartitionName)!.Value);
        _bounds.Fail = false;
        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    await log.AppendAsync(Payload(0, 10));
                    return true;
                }
                catch (LogBackpressureException)
                {
                    return false;
                }
            },
            "appends resume once the store records a bound again");
        log.LastId.Should().BeLessThanOrEqualTo(_bounds.Get(LogName, PartitionName)!.Value);
    }

    [Fact]
    public async Task OfflineRestoreWithoutTheStore_IsCheckedAgainstTheBoundAtTheNextOpen()
    {
        var archive = NewArchive();
        await AppendArchiveAndCloseAsync(archive, 120, unarchivedTail: 30);
        Directory.Delete(PartitionDirectory(Temp.Path), recursive: true);

        // What 'aof restore' does: open with the archive and no bound store (it puts the archived segments back).
        await using (var restored = await PartitionLog.OpenAsync(LogName, PartitionName, BoundOptions(), new PartitionLogEnvironment { Archive = archive }))
        {
            restored.NextId.Should().Be(90);
        }

        await FluentActions.Invoking(() => OpenWithBoundsAsync(BoundOptions(), archive)).Should().ThrowAsync<PartitionDataLostException>("the restored files are not the whole truth");

        // 'aof restore --skip-lost-ids': the decision is remembered by the folder until an open with the store applies it.
        await using (var restored = await PartitionLog.OpenAsync(LogName, PartitionName, BoundOptions(LostIdsPolicy.SkipPastBound), new PartitionLogEnvironment { Archive = archive }))
        {
            restored.NextId.Should().Be(90);
        }

        await using var log = await OpenWithBoundsAsync(BoundOptions(), archive);
        log.GetInfo().Segments.Should().ContainSingle(static s => s.Status == SegmentStatus.Missing);
        log.NextId.Should().BeGreaterThan(119);
    }
}
