using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

/// <summary>One test per line of the durability contract (docs/durability.md), with exact flush counts.</summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public class FlushPolicyTests : LogTestBase
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));

    private Task<PartitionLog> OpenWith(FlushPolicy policy) => OpenAsync(Options(o => o.FlushPolicy = policy), time: _time);

    [Fact]
    public async Task Sync_SingleAppender_EachAppendIsDurableOnReturnWithOneFsyncEach()
    {
        await using var log = await OpenWith(FlushPolicy.Sync);
        for (var i = 0; i < 5; i++)
        {
            var r = await log.AppendAsync(Payload(i));
            r.IsDurable.Should().BeTrue();
            log.DurableId.Should().Be(i);
        }

        var m = log.GetFlushMetrics();
        m.SyncFlushes.Should().Be(5);
        m.TotalFlushes.Should().Be(5);
        m.RecordsFlushed.Should().Be(5);
        m.PendingRecords.Should().Be(0);
    }

    [Fact]
    public async Task Sync_ConcurrentAppenders_ShareFsyncs()
    {
        await using var log = await OpenAsync(Options(o => o.FlushOnCallerThread = false));
        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(async () => await log.AppendAsync(Payload(i)))));
        results.Should().OnlyContain(r => r.IsDurable);
        results.Select(r => r.FirstId).Should().BeEquivalentTo(Enumerable.Range(0, 64).Select(i => (long)i));
        var m = log.GetFlushMetrics();
        m.RecordsFlushed.Should().Be(64);
        m.SuccessfulFlushes.Should().BeLessThan(64, "appends that arrive during an fsync share the next one");
    }

    [Fact]
    public async Task Batched_FsyncsAfterEveryNRecords()
    {
        await using var log = await OpenWith(FlushPolicy.Batched(5));
        for (var round = 1; round <= 2; round++)
        {
            for (var i = 0; i < 5; i++)
            {
                (await log.AppendAsync(Payload(i))).IsDurable.Should().BeFalse();
            }

            await Wait.UntilAsync(() => log.GetFlushMetrics().BatchedFlushes == round, $"batched flush {round} ran");
            log.DurableId.Should().Be((round * 5) - 1);
        }

        await log.AppendAsync(Payload(10));
        await log.AppendAsync(Payload(11));
        log.DurableId.Should().Be(9);
        log.GetFlushMetrics().PendingRecords.Should().Be(2);
        (await log.FlushAsync()).Should().Be(11);
        var m = log.GetFlushMetrics();
        (m.BatchedFlushes, m.ForcedFlushes, m.PeriodicFlushes, m.SyncFlushes, m.TotalFlushes).Should().Be((2L, 1L, 0L, 0L, 3L));
        m.RecordsFlushed.Should().Be(12);
    }

    [Fact]
    public async Task Periodic_FsyncsEveryIntervalWhenThereIsSomethingToFlush()
    {
        await using var log = await OpenWith(FlushPolicy.Periodic(TimeSpan.FromMilliseconds(100)));
        for (var i = 0; i < 3; i++)
        {
            (await log.AppendAsync(Payload(i))).IsDurable.Should().BeFalse();
        }

        _time.Advance(TimeSpan.FromMilliseconds(99));
        log.GetFlushMetrics().TotalFlushes.Should().Be(0);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Wait.UntilAsync(() => log.GetFlushMetrics().PeriodicFlushes == 1, "the periodic flush ran");
        log.DurableId.Should().Be(2);

        _time.Advance(TimeSpan.FromMilliseconds(100));
        await log.AppendAsync(Payload(3));
        _time.Advance(TimeSpan.FromMilliseconds(100));
        await Wait.UntilAsync(() => log.GetFlushMetrics().PeriodicFlushes == 2, "the second periodic flush ran");
        log.GetFlushMetrics().TotalFlushes.Should().Be(2, "an interval with nothing written flushes nothing");
    }

    [Fact]
    public async Task BatchedOrPeriodic_FsyncsAtNRecordsOrTheIntervalWhicheverFirst()
    {
        await using var log = await OpenWith(FlushPolicy.BatchedOrPeriodic(4, TimeSpan.FromMilliseconds(50)));
        for (var i = 0; i < 4; i++)
        {
            await log.AppendAsync(Payload(i));
        }

        await Wait.UntilAsync(() => log.GetFlushMetrics().BatchedFlushes == 1, "the batched flush ran");
        await log.AppendAsync(Payload(4));
        _time.Advance(TimeSpan.FromMilliseconds(50));
        await Wait.UntilAsync(() => log.GetFlushMetrics().PeriodicFlushes == 1, "the periodic flush ran");
        log.DurableId.Should().Be(4);
        log.GetFlushMetrics().TotalFlushes.Should().Be(2);
    }

    [Fact]
    public async Task Async_FsyncsOnlyAtExplicitFlushOrSeal()
    {
        await using var log = await OpenWith(FlushPolicy.Async);
        for (var i = 0; i < 10; i++)
        {
            await log.AppendAsync(Payload(i));
        }

        _time.Advance(TimeSpan.FromHours(1));
        log.GetFlushMetrics().TotalFlushes.Should().Be(0);
        log.DurableId.Should().Be(-1);
        (await log.FlushAsync()).Should().Be(9);
        await log.AppendAsync(Payload(10));
        await log.SealAsync();
        log.DurableId.Should().Be(10);
        var m = log.GetFlushMetrics();
        (m.ForcedFlushes, m.TotalFlushes, m.RecordsFlushed).Should().Be((2L, 2L, 11L));
    }

    [Fact]
    public async Task Readers_SeeOnlyDurableRecordsUnlessTheyOptIn()
    {
        await using var log = await OpenWith(FlushPolicy.Async);
        for (var i = 0; i < 3; i++)
        {
            await log.AppendAsync(Payload(i));
        }

        (await log.ReadAsync(0)).Count.Should().Be(0);
        (await log.ReadAsync(0, includeUndurable: true)).Entries.Select(e => e.Id).Should().Equal(0, 1, 2);
        await log.FlushAsync();
        (await log.ReadAsync(0)).Entries.Select(e => e.Id).Should().Equal(0, 1, 2);
    }

    [Fact]
    public async Task PolicySwitch_IsAFlushBoundary()
    {
        await using var log = await OpenWith(FlushPolicy.Async);
        for (var i = 0; i < 3; i++)
        {
            await log.AppendAsync(Payload(i));
        }

        await log.SetFlushPolicyAsync(FlushPolicy.Sync);
        log.DurableId.Should().Be(2);
        log.FlushPolicy.Should().Be(FlushPolicy.Sync);
        (await log.AppendAsync(Payload(3))).Should().Be(new AppendResult(3, 3, true));
        var m = log.GetFlushMetrics();
        (m.ForcedFlushes, m.SyncFlushes).Should().Be((1L, 1L));
    }

    [Fact]
    public async Task WaitForDurable_CompletesWhenTheCoveringFlushDoes()
    {
        await using var log = await OpenWith(FlushPolicy.Async);
        await log.AppendAsync(Payload(0));
        var wait = log.WaitForDurableAsync(0).AsTask();
        wait.IsCompleted.Should().BeFalse();
        await log.FlushAsync();
        await Wait.ForAsync(wait, "WaitForDurableAsync(0) to complete after the flush");
        using var cts = new CancellationTokenSource();
        await log.AppendAsync(Payload(1));
        var cancelled = log.WaitForDurableAsync(1, cts.Token).AsTask();
        await cts.CancelAsync();
        await cancelled.Invoking(t => t).Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task MaxSegmentAge_SealsAnOldNonEmptySegment()
    {
        await using var log = await OpenAsync(Options(o => o.MaxSegmentAge = TimeSpan.FromMinutes(10)), time: _time);
        await log.AppendAsync(Payload(0));
        _time.Advance(TimeSpan.FromMinutes(10));
        await Wait.UntilAsync(() => log.GetInfo().Segments.Count == 2, "the aged segment was sealed by the maintenance tick");
        log.GetInfo().Segments[0].Status.Should().Be(SegmentStatus.Sealed);
        _time.Advance(TimeSpan.FromMinutes(20));
        log.GetInfo().Segments.Count.Should().Be(2, "an empty active segment is never sealed for age");
    }
}
