using System.Diagnostics.Metrics;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

/// <summary>
/// The flush statistics as <see cref="System.Diagnostics.Metrics"/> instruments (meter
/// <see cref="StorageInstruments.MeterName"/>), read with a <see cref="MeterListener"/>, against the partition's own
/// snapshot and hand-computed values.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class FlushInstrumentsTests : LogTestBase
{
    private const int PayloadSize = 100;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Instruments_BatchedPeriodicForcedAndFailedFlushes_MatchTheSnapshotPerPartition()
    {
        // A log name no other test uses: the instruments are process-wide and other tests run in parallel.
        var logName = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        using var recorder = new Recorder(logName);
        var fs = new FaultInjectingFileSystem(PhysicalFileSystem.Instance) { WriteFilter = static p => p.EndsWith(PartitionLayout.SegmentExtension, StringComparison.Ordinal) };
        var options = Options(o =>
        {
            o.FlushPolicy = FlushPolicy.BatchedOrPeriodic(3, TimeSpan.FromMilliseconds(100));
            o.PartitionMetricTags = true;
        });
        await using var log = await OpenAsync(options, fs, _time, logName, "p7");

        // 3 records: the batched flush.
        for (var i = 0; i < 3; i++)
        {
            await log.AppendAsync(Payload(i, PayloadSize));
        }

        await Wait.UntilAsync(() => log.GetFlushMetrics().BatchedFlushes == 1, "the batched flush ran");

        // 2 records and the interval: the periodic flush.
        await log.AppendAsync(Payload(3, PayloadSize));
        await log.AppendAsync(Payload(4, PayloadSize));
        _time.Advance(TimeSpan.FromMilliseconds(100));
        await Wait.UntilAsync(() => log.GetFlushMetrics().PeriodicFlushes == 1, "the periodic flush ran");

        // 1 record and an explicit flush: a forced flush.
        await log.AppendAsync(Payload(5, PayloadSize));
        (await log.FlushAsync()).Should().Be(5);

        // 2 records left pending, then a forced flush whose fsync fails.
        await log.AppendAsync(Payload(6, PayloadSize));
        await log.AppendAsync(Payload(7, PayloadSize));
        var pending = log.GetFlushMetrics();
        (pending.PendingRecords, pending.PendingBytes).Should().Be((2L, 2L * SegmentFormat.RecordFrameSize(PayloadSize)));
        recorder.Observe();
        recorder.Gauge("aof-pending-records").Should().Equal(2L);
        recorder.Gauge("aof-pending-bytes").Should().Equal(2L * SegmentFormat.RecordFrameSize(PayloadSize));
        recorder.Gauge("aof-flush-success-rate").Should().Equal(1.0);

        fs.FailFlushAfter(0);
        await FluentActions.Awaiting(async () => await log.FlushAsync()).Should().ThrowAsync<PartitionFaultedException>();

        var s = log.GetFlushMetrics();
        (s.TotalFlushes, s.SuccessfulFlushes, s.FailedFlushes).Should().Be((4L, 3L, 1L));
        (s.BatchedFlushes, s.PeriodicFlushes, s.ForcedFlushes, s.SyncFlushes).Should().Be((1L, 1L, 2L, 0L));
        s.RecordsFlushed.Should().Be(6);

        // Each successful flush wrote its records' frames and one checkpoint.
        long Flushed(int records) => (records * (long)SegmentFormat.RecordFrameSize(PayloadSize)) + FlushCheckpoint.Size;

        // aof-flushes: one measurement of 1 per flush, tagged with the partition, the trigger and the result.
        recorder.Longs("aof-flushes").Should().Equal(
            new Tagged<long>(1, "batched", "success"),
            new Tagged<long>(1, "periodic", "success"),
            new Tagged<long>(1, "forced", "success"),
            new Tagged<long>(1, "forced", "failure"));
        recorder.Longs("aof-flushes").Sum(m => m.Value).Should().Be(s.TotalFlushes);
        recorder.Longs("aof-flushes").Where(m => m.Result == "success").Sum(m => m.Value).Should().Be(s.SuccessfulFlushes);
        recorder.Longs("aof-flushes").Where(m => m.Result == "failure").Sum(m => m.Value).Should().Be(s.FailedFlushes);
        recorder.Longs("aof-flushes").Where(m => m.Trigger == "forced").Sum(m => m.Value).Should().Be(s.ForcedFlushes);
        recorder.Longs("aof-flushes").Where(m => m.Trigger == "periodic").Sum(m => m.Value).Should().Be(s.PeriodicFlushes);
        recorder.Longs("aof-flushes").Where(m => m.Trigger == "batched").Sum(m => m.Value).Should().Be(s.BatchedFlushes);

        // Records and bytes: one measurement per successful flush.
        recorder.Longs("aof-flushed-records").Select(m => m.Value).Should().Equal(3L, 2L, 1L);
        recorder.Longs("aof-flushed-records").Sum(m => m.Value).Should().Be(s.RecordsFlushed);
        recorder.Longs("aof-flushed-bytes").Select(m => m.Value).Should().Equal(Flushed(3), Flushed(2), Flushed(1));
        recorder.Longs("aof-flushed-bytes").Sum(m => m.Value).Should().Be(s.BytesFlushed);
        recorder.Longs("aof-records-per-flush").Select(m => m.Value).Should().Equal(3L, 2L, 1L);
        recorder.Longs("aof-records-per-flush").Max(m => m.Value).Should().Be(s.MaxRecordsPerFlush);
        recorder.Longs("aof-records-per-flush").Average(m => m.Value).Should().Be(s.RecordsPerFlush);

        // Latency: one measurement per successful flush; the fake clock does not move during a flush.
        recorder.Doubles("aof-flush-duration").Select(m => m.Value).Should().Equal(0.0, 0.0, 0.0);

        // Gauges after the failure: the same figures as the snapshot.
        recorder.Observe();
        recorder.Gauge("aof-pending-records").Should().Equal(s.PendingRecords);
        recorder.Gauge("aof-pending-bytes").Should().Equal(s.PendingBytes);
        recorder.Gauge("aof-flush-success-rate").Should().Equal(0.75);
        s.SuccessRate.Should().Be(0.75);

        // Every measurement carried this partition's tags, and nothing else was measured for this log.
        recorder.Partitions.Should().Equal("p7");
    }

    [Fact]
    public async Task Instruments_WithoutPartitionMetricTags_AggregateThePartitionsOfALog()
    {
        var logName = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        using var recorder = new Recorder(logName);
        var options = Options(o => o.FlushPolicy = FlushPolicy.Async);
        options.PartitionMetricTags.Should().BeFalse("partition tags are opt-in");
        await using var a = await OpenAsync(options, time: _time, log: logName, partition: "a");
        await using var b = await OpenAsync(options, time: _time, log: logName, partition: "b");
        for (var i = 0; i < 2; i++)
        {
            await a.AppendAsync(Payload(i, PayloadSize));
        }

        for (var i = 0; i < 3; i++)
        {
            await b.AppendAsync(Payload(i, PayloadSize));
        }

        // One series per log: the gauges sum the partitions' pending records and bytes.
        recorder.Observe();
        recorder.Gauge("aof-pending-records").Should().Equal(5L);
        recorder.Gauge("aof-pending-bytes").Should().Equal(5L * SegmentFormat.RecordFrameSize(PayloadSize));
        recorder.Gauge("aof-archive-backlog-segments").Should().Equal(0L);

        (await a.FlushAsync()).Should().Be(1);
        (await b.FlushAsync()).Should().Be(2);
        recorder.Longs("aof-flushed-records").Select(m => m.Value).Should().BeEquivalentTo([2L, 3L]);
        recorder.Partitions.Should().Equal("(none)");
    }

    private readonly record struct Tagged<T>(T Value, string? Trigger, string? Result);

    /// <summary>Listens to the engine's meter and keeps the measurements whose <c>log</c> tag is the given log.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly string _log;
        private readonly MeterListener _listener = new();
        private readonly Lock _sync = new();
        private readonly List<(string Instrument, object Value, string? Trigger, string? Result, string? Partition)> _measurements = [];

        public Recorder(string log)
        {
            _log = log;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == StorageInstruments.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
            _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
            _listener.Start();
        }

        public IReadOnlyList<string> Partitions
        {
            get
            {
                lock (_sync)
                {
                    return [.. _measurements.Select(m => m.Partition ?? "(none)").Distinct()];
                }
            }
        }

        /// <summary>Collects the observable gauges now (clears earlier gauge readings).</summary>
        public void Observe()
        {
            lock (_sync)
            {
                _measurements.RemoveAll(m => m.Instrument is "aof-pending-records" or "aof-pending-bytes" or "aof-flush-success-rate" or "aof-archive-backlog-segments" or "aof-archive-backlog-bytes");
            }

            _listener.RecordObservableInstruments();
        }

        public List<Tagged<long>> Longs(string instrument) => Of(instrument).Select(m => new Tagged<long>((long)m.Value, m.Trigger, m.Result)).ToList();

        public List<Tagged<double>> Doubles(string instrument) => Of(instrument).Select(m => new Tagged<double>((double)m.Value, m.Trigger, m.Result)).ToList();

        public List<object> Gauge(string instrument) => Of(instrument).Select(m => m.Value).ToList();

        public void Dispose() => _listener.Dispose();

        private List<(string Instrument, object Value, string? Trigger, string? Result, string? Partition)> Of(string instrument)
        {
            lock (_sync)
            {
                return [.. _measurements.Where(m => m.Instrument == instrument)];
            }
        }

        private void Add(Instrument instrument, object value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? log = null, partition = null, trigger = null, result = null;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "log": log = tag.Value as string; break;
                    case "partition": partition = tag.Value as string; break;
                    case "trigger": trigger = tag.Value as string; break;
                    case "result": result = tag.Value as string; break;
                }
            }

            if (log != _log)
            {
                return;
            }

            lock (_sync)
            {
                _measurements.Add((instrument.Name, value, trigger, result, partition));
            }
        }
    }
}
