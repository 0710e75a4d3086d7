using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

[Trait(TestCategories.Name, TestCategories.Fast)]
public class IdempotenceTests : LogTestBase
{
    [Fact]
    public async Task RetriedBatch_SameStamp_ReturnsOriginalIdsAndWritesNothing()
    {
        await using var log = await OpenAsync();
        var first = await log.AppendBatchAsync([Payload(0), Payload(1)], null, new ProducerStamp(7, 0));
        first.Should().Be(new AppendResult(0, 1, true));
        await log.AppendAsync(Payload(2));
        var retry = await log.AppendBatchAsync([Payload(0), Payload(1)], null, new ProducerStamp(7, 0));
        retry.Should().Be(new AppendResult(0, 1, true, IsDuplicate: true));
        log.NextId.Should().Be(3);
    }

    [Fact]
    public async Task RetriedBatch_AfterReopenAndSeal_IsStillRecognised()
    {
        var options = Options(o => o.MaxSegmentBytes = 4096);
        await using (var log = await OpenAsync(options))
        {
            (await log.AppendBatchAsync([Payload(0)], null, new ProducerStamp(1, 5))).FirstId.Should().Be(0);
            (await log.AppendBatchAsync([Payload(1), Payload(2)], null, new ProducerStamp(2, 0))).Should().Be(new AppendResult(1, 2, true));
            await log.SealAsync();
        }

        await using (var log = await OpenAsync(options))
        {
            (await log.AppendBatchAsync([Payload(1), Payload(2)], null, new ProducerStamp(2, 0))).Should().Be(new AppendResult(1, 2, true, IsDuplicate: true));
            (await log.AppendBatchAsync([Payload(3)], null, new ProducerStamp(2, 1))).Should().Be(new AppendResult(3, 3, true));
        }

        await using (var log = await OpenAsync(options))
        {
            // The last batch of producer 2 now lives in the active segment, the one of producer 1 in a sealed segment's table.
            (await log.AppendBatchAsync([Payload(3)], null, new ProducerStamp(2, 1))).Should().Be(new AppendResult(3, 3, true, IsDuplicate: true));
            (await log.AppendAsync(Payload(0), null, new ProducerStamp(1, 5))).Should().Be(new AppendResult(0, 0, true, IsDuplicate: true));
            var act = async () => await log.AppendAsync(Payload(0), null, new ProducerStamp(1, 4));
            (await act.Should().ThrowAsync<StaleSequenceException>()).Which.LastSequence.Should().Be(5);
            log.NextId.Should().Be(4);
            (await ReadAllAsync(log)).Select(r => r.Id).Should().Equal(0, 1, 2, 3);
        }
    }

    [Fact]
    public async Task RetriedBatch_WithExpectedLastId_IsADuplicateNotAConflict()
    {
        await using var log = await OpenAsync();
        await log.AppendBatchAsync([Payload(0)], expectedLastId: -1, new ProducerStamp(3, 0));
        var retry = await log.AppendBatchAsync([Payload(0)], expectedLastId: -1, new ProducerStamp(3, 0));
        retry.IsDuplicate.Should().BeTrue();
        var conflict = async () => await log.AppendBatchAsync([Payload(1)], expectedLastId: -1, new ProducerStamp(3, 1));
        (await conflict.Should().ThrowAsync<ExpectedLastIdMismatchException>()).Which.ActualLastId.Should().Be(0);
    }
}
