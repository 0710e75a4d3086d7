using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

/// <summary>Every bad input gets its typed error and leaves the log exactly as it was.</summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public class BadInputTests : LogTestBase
{
    private async Task<(PartitionLog Log, byte[] Files)> OpenWithThreeRecordsAsync()
    {
        var log = await OpenAsync(Options(o => o.MaxRecordBytes = 100));
        for (var i = 0; i < 3; i++)
        {
            await log.AppendAsync(Payload(i));
        }

        return (log, SegmentBytes());
    }

    private byte[] SegmentBytes() =>
        Directory.GetFiles(Temp.Combine("orders", "0", "segments")).OrderBy(f => f, StringComparer.Ordinal).SelectMany(File.ReadAllBytes).ToArray();

    private async Task AssertUnchanged(PartitionLog log, byte[] before)
    {
        log.NextId.Should().Be(3);
        log.State.Should().Be(PartitionState.Open);
        SegmentBytes().Should().Equal(before);
        (await log.AppendAsync(Payload(3))).FirstId.Should().Be(3, "the log still works after the rejected call");
    }

    [Fact]
    public async Task RecordTooLarge_Rejected()
    {
        var (log, before) = await OpenWithThreeRecordsAsync();
        await using var _ = log;
        var e = await log.Invoking(l => l.AppendAsync(new byte[101]).AsTask()).Should().ThrowAsync<RecordTooLargeException>();
        (e.Which.Size, e.Which.Maximum).Should().Be((101, 100));
        await log.Invoking(l => l.AppendBatchAsync([new byte[1], new byte[101]]).AsTask()).Should().ThrowAsync<RecordTooLargeException>();
        await AssertUnchanged(log, before);
    }

    [Fact]
    public async Task EmptyBatch_Rejected()
    {
        var (log, before) = await OpenWithThreeRecordsAsync();
        await using var _ = log;
        await log.Invoking(l => l.AppendBatchAsync([]).AsTask()).Should().ThrowAsync<EmptyBatchException>();
        await AssertUnchanged(log, before);
    }

    [Fact]
    public async Task BatchLargerThanASegment_Rejected()
    {
        var log = await OpenAsync(Options(o => o.MaxSegmentBytes = 4096));
        await using var _ = log;
        var batch = Enumerable.Range(0, 10).Select(_ => (ReadOnlyMemory<byte>)new byte[1000]).ToList();
        await log.Invoking(l => l.AppendBatchAsync(batch).AsTask()).Should().ThrowAsync<BatchTooLargeException>();
        log.NextId.Should().Be(0);
    }

    [Fact]
    public async Task InvalidRanges_Rejected()
    {
        var (log, before) = await OpenWithThreeRecordsAsync();
        await using var _ = log;
        await log.Invoking(l => l.ReadAsync(-1).AsTask()).Should().ThrowAsync<InvalidRangeException>();
        await log.Invoking(l => l.ReadAsync(0, maxRecords: 0).AsTask()).Should().ThrowAsync<InvalidRangeException>();
        await log.Invoking(l => l.ReadAsync(0, maxBytes: 0).AsTask()).Should().ThrowAsync<InvalidRangeException>();
        log.Invoking(l => l.Scan(2, 1).ToList()).Should().Throw<InvalidRangeException>();
        await log.Invoking(l => l.WaitForDurableAsync(10).AsTask()).Should().ThrowAsync<InvalidRangeException>();
        await AssertUnchanged(log, before);
    }

    [Fact]
    public async Task ReadPastTheTail_RejectedButReadingAtTheTailIsEmpty()
    {
        var (log, before) = await OpenWithThreeRecordsAsync();
        await using var _ = log;
        (await log.ReadAsync(3)).Should().Match<RecordBatch>(b => b.Count == 0 && b.NextId == 3);
        var e = await log.Invoking(l => l.ReadAsync(4).AsTask()).Should().ThrowAsync<ReadBeyondTailException>();
        (e.Which.FromId, e.Which.NextId).Should().Be((4L, 3L));
        await AssertUnchanged(log, before);
    }

    [Fact]
    public async Task ExpectedLastIdMismatch_RejectedWithTheActualLastId()
    {
        var (log, before) = await OpenWithThreeRecordsAsync();
        await using var _ = log;
        var e = await log.Invoking(l => l.AppendAsync(Payload(9), expectedLastId: 1).AsTask()).Should().ThrowAsync<ExpectedLastIdMismatchException>();
        (e.Which.ExpectedLastId, e.Which.ActualLastId).Should().Be((1L, 2L));
        await AssertUnchanged(log, before);
        (await log.AppendAsync(Payload(4), expectedLastId: 3)).FirstId.Should().Be(4);
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("")]
    [InlineData("white space")]
    public async Task PartitionNameLeavingTheRoot_Rejected(string name)
    {
        await FluentActions.Invoking(() => OpenAsync(log: name)).Should().ThrowAsync<InvalidPartitionNameException>();
        await FluentActions.Invoking(() => OpenAsync(partition: name)).Should().ThrowAsync<InvalidPartitionNameException>();
        Directory.GetFileSystemEntries(Temp.Path).Should().BeEmpty("nothing was created");
    }

    public static TheoryData<string, Action<PartitionLogOptions>> InvalidOptions() => new()
    {
        { "PartitionLogOptions.DataRoot", o => o.DataRoot = " " },
        { "PartitionLogOptions.MaxSegmentBytes", o => o.MaxSegmentBytes = 1000 },
        { "PartitionLogOptions.MaxRecordBytes", o => o.MaxRecordBytes = 0 },
        { "PartitionLogOptions.MaxRecordBytes", o => { o.MaxSegmentBytes = 8192; o.MaxRecordBytes = 4096; } },
        { "PartitionLogOptions.MaxUnflushedBytes", o => o.MaxUnflushedBytes = 10 },
        { "PartitionLogOptions.MaxSegmentAge", o => o.MaxSegmentAge = TimeSpan.Zero },
        { "PartitionLogOptions.PreallocateAt", o => o.PreallocateAt = 1.5 },
        { "PartitionLogOptions.OpenSegmentReaders", o => o.OpenSegmentReaders = 0 },
        { "PartitionLogOptions.InitialReservationBytes", o => o.InitialReservationBytes = -1 },
        { "PartitionLogOptions.MaxProducers", o => o.MaxProducers = 0 },
        { "PartitionLogOptions.MaintenanceInterval", o => o.MaintenanceInterval = TimeSpan.FromMilliseconds(1) },
        { "PartitionLogOptions.BackpressureMode", o => o.BackpressureMode = (BackpressureMode)9 },
        { "PartitionLogOptions.Preallocation", o => o.Preallocation = (PreallocationMode)9 },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task InvalidOption_RejectedWithItsName(string optionName, Action<PartitionLogOptions> breakIt)
    {
        var options = new PartitionLogOptions { DataRoot = Temp.Path };
        breakIt(options);
        var e = await FluentActions.Invoking(() => OpenAsync(options)).Should().ThrowAsync<InvalidLogOptionsException>();
        e.Which.OptionName.Should().Be(optionName);
        e.Which.Message.Should().StartWith(optionName);
    }

    [Theory]
    [InlineData("Sync", "Sync")]
    [InlineData("async", "Async")]
    [InlineData("Batched:1000", "Batched:1000")]
    [InlineData("Periodic:00:00:00.010", "Periodic:00:00:00.0100000")]
    [InlineData("BatchedOrPeriodic:50:00:00:01", "BatchedOrPeriodic:50:00:00:01")]
    public void FlushPolicy_ParsesAndPrints(string text, string printed)
    {
        var policy = FlushPolicy.Parse(text);
        policy.ToString().Should().Be(printed);
        FlushPolicy.Parse(policy.ToString()).Should().Be(policy);
    }

    [Theory]
    [InlineData("Batched:0")]
    [InlineData("Batched")]
    [InlineData("Periodic:abc")]
    [InlineData("Fast")]
    [InlineData("Sync:1")]
    public void FlushPolicy_BadText_FormatExceptionListingTheForms(string text)
    {
        FluentActions.Invoking(() => FlushPolicy.Parse(text)).Should().Throw<FormatException>().WithMessage("*Sync, Async, Batched:N*");
    }
}
