using System.Buffers.Binary;
using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

[Trait(TestCategories.Name, TestCategories.Stress)]
public class ConcurrencyTests : LogTestBase
{
    private static byte[] Tagged(int writer, int sequence)
    {
        var bytes = new byte[8 + (sequence % 200)];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, writer);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), sequence);
        return bytes;
    }

    [Theory]
    [InlineData("Sync")]
    [InlineData("Batched:50")]
    [InlineData("Async")]
    public async Task ManyWritersAndTailReaders_IdsDense_WriterOrderKept_ReadersSeeEverythingInOrder(string policy)
    {
        const int writers = 8;
        var perWriter = Stress.Scale(400, 5000);
        await using var log = await OpenAsync(Options(o =>
        {
            o.FlushPolicy = FlushPolicy.Parse(policy);
            o.MaxSegmentBytes = 64 * 1024;
            o.FlushOnCallerThread = false;
        }));

        using var stop = new CancellationTokenSource();
        var total = writers * perWriter;
        async Task<List<long>> TailAsync()
        {
            var seen = new List<long>();
            var next = 0L;
            var durable = -1L;
            while (seen.Count < total)
            {
                var batch = await log.ReadAsync(next, 500);
                if (batch.Count == 0)
                {
                    durable = await log.WaitForDurableAdvanceAsync(durable, stop.Token);
                    continue;
                }

                seen.AddRange(batch.Entries.Select(e => e.Id));
                next = batch.NextId;
            }

            return seen;
        }

        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(TailAsync)).ToArray();
        var acks = new List<(int Writer, int Sequence, long Id)>[writers];
        var writerTasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            acks[w] = [];
            for (var s = 0; s < perWriter; s++)
            {
                var r = await log.AppendAsync(Tagged(w, s));
                acks[w].Add((w, s, r.FirstId));
            }
        })).ToArray();

        await Wait.ForAsync(Task.WhenAll(writerTasks), "all writers to finish", TimeSpan.FromMinutes(2));
        await log.FlushAsync();
        var seenByReaders = await Wait.ForAsync(Task.WhenAll(readers), "the tail readers to see every record", TimeSpan.FromMinutes(1));

        var allIds = acks.SelectMany(a => a.Select(x => x.Id)).Order().ToList();
        allIds.Should().Equal(Enumerable.Range(0, total).Select(i => (long)i), "ids are dense and never reused");
        foreach (var a in acks)
        {
            a.Select(x => x.Id).Should().BeInAscendingOrder("each writer's order is preserved");
        }

        foreach (var seen in seenByReaders)
        {
            seen.Should().Equal(Enumerable.Range(0, total).Select(i => (long)i));
        }

        var records = await ReadAllAsync(log);
        foreach (var a in acks.SelectMany(x => x))
        {
            records[(int)a.Id].Payload.ToArray().Should().Equal(Tagged(a.Writer, a.Sequence));
        }
    }

    [Fact]
    public async Task Backpressure_FailFast_RefusesThenRecoversOnItsOwn()
    {
        await using var log = await OpenAsync(Options(o =>
        {
            o.FlushPolicy = FlushPolicy.Async;
            o.MaxRecordBytes = 1000;
            o.MaxUnflushedBytes = 4096;
        }));

        var accepted = 0;
        LogBackpressureException? refused = null;
        for (var i = 0; i < 10 && refused is null; i++)
        {
            try
            {
                await log.AppendAsync(new byte[1000]);
                accepted++;
            }
            catch (LogBackpressureException e)
            {
                refused = e;
            }
        }

        accepted.Should().Be(3, "three 1,048-byte frames fit under 4,096 unflushed bytes and a fourth does not");
        refused!.Reason.Should().Be(BackpressureReason.UnflushedBytes);
        refused.IsRetryable.Should().BeTrue();
        refused.Bounds.Should().Equal(new BackpressureBound(nameof(PartitionLogOptions.MaxUnflushedBytes), 4096, "bytes"));
        refused.Detail.Should().Be("3144 bytes are written but not flushed.");
        refused.Message.Should().Be("Append refused by backpressure (UnflushedBytes): 3144 bytes are written but not flushed. The bound is 4096 bytes (PartitionLogOptions.MaxUnflushedBytes). Retry after 5 ms.");
        log.NextId.Should().Be(3, "the refused append wrote nothing");
        await Wait.UntilAsync(() => log.DurableId == 2, "the flush started by backpressure completed");
        (await log.AppendAsync(new byte[1000])).FirstId.Should().Be(3);
    }

    [Fact]
    public async Task Backpressure_Wait_BlocksUntilTheFlushMakesRoom()
    {
        await using var log = await OpenAsync(Options(o =>
        {
            o.FlushPolicy = FlushPolicy.Async;
            o.MaxRecordBytes = 1000;
            o.MaxUnflushedBytes = 4096;
            o.BackpressureMode = BackpressureMode.Wait;
        }));

        var results = new List<AppendResult>();
        for (var i = 0; i < 20; i++)
        {
            results.Add(await log.AppendAsync(new byte[1000]));
        }

        results.Select(r => r.FirstId).Should().Equal(Enumerable.Range(0, 20).Select(i => (long)i));
        log.GetFlushMetrics().ForcedFlushes.Should().BeGreaterThanOrEqualTo(5, "each wait for room started a flush");
    }
}
