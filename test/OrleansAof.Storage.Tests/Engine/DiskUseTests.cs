using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

/// <summary>
/// A partition's disk use follows its data (PartitionLogOptions.InitialReservationBytes): at most twice the data plus
/// 1 MiB, measured as allocated blocks, so that thousands of small partitions do not each reserve a whole segment.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public class DiskUseTests : LogTestBase
{
    private const long Allowance = 1024 * 1024;

    [Theory]
    [InlineData(PreallocationMode.Auto)]
    [InlineData(PreallocationMode.Reserve)]
    public async Task NewPartition_WithDefaultSegmentSize_UsesAtMostTwiceItsDataPlusOneMiB(PreallocationMode mode)
    {
        await using var log = await OpenAsync(Options(o => { o.MaxSegmentBytes = 64L * 1024 * 1024; o.Preallocation = mode; o.FlushPolicy = FlushPolicy.Sync; }));
        (await log.AppendAsync(Payload(0, 100))).FirstId.Should().Be(0);

        var used = DiskUsage.AllocatedBytes(Temp.Combine("orders", "0"));
        used.Should().BeLessThanOrEqualTo((2 * 100) + Allowance, "a partition holding 100 bytes must not reserve its 64 MiB segment");
        (await ReadAllAsync(log)).Select(r => r.Payload.ToArray()).Should().Equal([Payload(0, 100)], static (a, b) => a.AsSpan().SequenceEqual(b));
    }

    [Fact]
    public async Task GrowingPartition_StaysWithinTwiceItsDataPlusOneMiB_AndReachesWholeSegmentPreallocation()
    {
        const int segment = 4 * 1024 * 1024;
        const int size = 1000;
        const int batch = 64;
        await using var log = await OpenAsync(Options(o =>
        {
            o.MaxSegmentBytes = segment;
            o.InitialReservationBytes = 64 * 1024;
            o.Preallocation = PreallocationMode.Auto;
            o.FlushPolicy = FlushPolicy.Sync;
        }));
        var folder = Temp.Combine("orders", "0");
        long payload = 0, next = 0;
        var prepared = Path.Combine(folder, "segments", "next.prealloc");
        while (payload < 6L * segment || !File.Exists(prepared))
        {
            var records = Enumerable.Range(0, batch).Select(i => (ReadOnlyMemory<byte>)Payload(next + i, size)).ToArray();
            (await log.AppendBatchAsync(records)).FirstId.Should().Be(next);
            next += batch;
            payload += batch * size;
            if (next % (batch * 8) == 0)
            {
                var used = DiskUsage.AllocatedBytes(folder);
                used.Should().BeLessThanOrEqualTo((2 * payload) + Allowance, "after {0} records ({1} payload bytes)", next, payload);
            }
        }

        // Once the partition holds more than two segments, the next one is prepared whole again.
        await Wait.UntilAsync(() => File.Exists(prepared) && new FileInfo(prepared).Length == segment, "the next segment to be zero-filled to the whole MaxSegmentBytes");
        var all = await ReadAllAsync(log);
        all.Select(r => r.Id).Should().Equal(Enumerable.Range(0, (int)next).Select(i => (long)i));
        all.Select(r => r.Payload.ToArray()).Should().Equal(Enumerable.Range(0, (int)next).Select(i => Payload(i, size)), static (a, b) => a.AsSpan().SequenceEqual(b));
    }
}
