using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

[Trait(TestCategories.Name, TestCategories.Fast)]
public class FlushMetricsTests
{
    [Fact]
    public void Snapshot_PercentilesRatesAndCounts_MatchHandComputedValues()
    {
        var m = new FlushMetrics();
        for (var i = 1; i <= 100; i++)
        {
            // Latencies 1..100 µs; records 1..100; bytes 10x records.
            m.Record(i % 2 == 0 ? FlushTrigger.Sync : FlushTrigger.Batched, succeeded: true, TimeSpan.FromTicks(i * 10), i, i * 10);
        }

        m.Record(FlushTrigger.Periodic, succeeded: false, TimeSpan.FromMilliseconds(1), 0, 0);
        m.Record(FlushTrigger.Forced, succeeded: false, TimeSpan.FromMilliseconds(1), 0, 0);

        var s = m.Snapshot(pendingRecords: 3, pendingBytes: 300);
        (s.TotalFlushes, s.SuccessfulFlushes, s.FailedFlushes).Should().Be((102L, 100L, 2L));
        (s.SyncFlushes, s.BatchedFlushes, s.PeriodicFlushes, s.ForcedFlushes).Should().Be((50L, 50L, 1L, 1L));
        s.RecordsFlushed.Should().Be(5050);
        s.BytesFlushed.Should().Be(50500);
        s.SuccessRate.Should().BeApproximately(100.0 / 102.0, 1e-12);
        s.RecordsPerFlush.Should().BeApproximately(50.5, 1e-12);
        s.MaxRecordsPerFlush.Should().Be(100);
        (s.PendingRecords, s.PendingBytes).Should().Be((3L, 300L));
        s.LatencyP50.Should().Be(TimeSpan.FromTicks(500));
        s.LatencyP95.Should().Be(TimeSpan.FromTicks(950));
        s.LatencyP99.Should().Be(TimeSpan.FromTicks(990));
        s.LatencyP999.Should().Be(TimeSpan.FromTicks(1000));
    }

    [Fact]
    public void Snapshot_NoFlushes_IsAllZeroWithFullSuccessRate()
    {
        var s = new FlushMetrics().Snapshot(0, 0);
        s.SuccessRate.Should().Be(1.0);
        s.RecordsPerFlush.Should().Be(0);
        s.LatencyP99.Should().Be(TimeSpan.Zero);
    }
}
