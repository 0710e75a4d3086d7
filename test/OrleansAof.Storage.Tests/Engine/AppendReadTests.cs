using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

[Trait(TestCategories.Name, TestCategories.Fast)]
public class AppendReadTests : LogTestBase
{
    [Fact]
    public async Task Append_Sync_ReturnsDenseDurableIdsAndReadsThemBack()
    {
        await using var log = await OpenAsync();
        for (var i = 0; i < 10; i++)
        {
            var r = await log.AppendAsync(Payload(i));
            r.Should().Be(new AppendResult(i, i, true));
        }

        log.DurableId.Should().Be(9);
        var records = await ReadAllAsync(log);
        records.Select(r => r.Id).Should().Equal(Enumerable.Range(0, 10).Select(i => (long)i));
        records.Select(r => r.Payload.ToArray()).Should().BeEquivalentTo(Enumerable.Range(0, 10).Select(i => Payload(i)), o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task Reopen_AfterAppendsAndRollover_KeepsEveryRecordAndContinuesAtNextId()
    {
        var options = Options(o => o.MaxSegmentBytes = 4096);
        await using (var log = await OpenAsync(options))
        {
            for (var i = 0; i < 100; i++)
            {
                (await log.AppendAsync(Payload(i, 100))).FirstId.Should().Be(i);
            }

            log.GetInfo().Segments.Count.Should().BeGreaterThan(3);
        }

        await using (var log = await OpenAsync(options))
        {
            log.NextId.Should().Be(100);
            log.WriterEpoch.Should().Be(2);
            var records = await ReadAllAsync(log);
            records.Should().HaveCount(100);
            for (var i = 0; i < 100; i++)
            {
                records[i].Id.Should().Be(i);
                records[i].Payload.ToArray().Should().Equal(Payload(i, 100));
            }

            (await log.AppendAsync(Payload(100))).FirstId.Should().Be(100);
        }
    }

    [Fact]
    public async Task AppendBatch_AssignsConsecutiveIds()
    {
        await using var log = await OpenAsync();
        var r = await log.AppendBatchAsync([Payload(0), Payload(1), Payload(2)]);
        r.Should().Be(new AppendResult(0, 2, true));
        var r2 = await log.AppendBatchAsync([Payload(3)]);
        r2.Should().Be(new AppendResult(3, 3, true));
        (await ReadAllAsync(log)).Select(x => x.Id).Should().Equal(0, 1, 2, 3);
    }

    [Fact]
    public async Task ReadBackward_ReturnsNewestFirst()
    {
        await using var log = await OpenAsync(Options(o => o.MaxSegmentBytes = 4096));
        for (var i = 0; i < 60; i++)
        {
            await log.AppendAsync(Payload(i, 90));
        }

        var batch = await log.ReadBackwardAsync(59, 25);
        batch.Entries.Select(e => e.Id).Should().Equal(Enumerable.Range(35, 25).Reverse().Select(i => (long)i));
        batch.NextId.Should().Be(34);
        batch[0].Payload.ToArray().Should().Equal(Payload(59, 90));
    }

    [Fact]
    public async Task Scan_AllRecords_VisitsEachOnceInOrder()
    {
        await using var log = await OpenAsync(Options(o => o.MaxSegmentBytes = 8192));
        for (var i = 0; i < 200; i++)
        {
            await log.AppendAsync(Payload(i, 64));
        }

        var ids = new List<long>();
        foreach (var r in log.Scan(0, 199))
        {
            r.Payload.ToArray().Should().Equal(Payload(r.Id, 64));
            ids.Add(r.Id);
        }

        ids.Should().Equal(Enumerable.Range(0, 200).Select(i => (long)i));
    }
}
