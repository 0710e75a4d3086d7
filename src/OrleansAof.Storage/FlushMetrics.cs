using HdrHistogram;

namespace OrleansAof.Storage;

/// <summary>Accumulates the flush statistics of one partition and reports them to <see cref="StorageInstruments"/>.</summary>
internal sealed class FlushMetrics
{
    private readonly Lock _sync = new();
    private readonly string _log;
    private readonly string _partition;
    private readonly string? _partitionTag;
    // Two significant digits (values below 256 µs exact, above within 1%): about 20 KiB per open partition, where three
    // digits took 136 KiB, which at thousands of open partitions was most of the silo's managed heap.
    private readonly LongHistogram _latencyMicros = new(1, 60_000_000, 2);
    private long _total;
    private long _successful;
    private long _failed;
    private long _syncFlushes;
    private long _batched;
    private long _periodic;
    private long _forced;
    private long _records;
    private long _bytes;
    private long _maxRecords;

    /// <summary>Statistics not attributed to a partition (the instruments' <c>log</c> and <c>partition</c> tags are empty).</summary>
    public FlushMetrics()
        : this(string.Empty, string.Empty)
    {
    }

    /// <summary>Statistics of one partition; its measurements carry the tags <c>log</c> and <c>partition</c>.</summary>
    /// <param name="log">The log's name.</param>
    /// <param name="partition">The partition's name.</param>
    public FlushMetrics(string log, string partition)
        : this(log, partition, partitionTag: true)
    {
    }

    /// <summary>
    /// Statistics of one partition; its measurements carry the tag <c>log</c>, and <c>partition</c> only when
    /// <paramref name="partitionTag"/> is set (see <see cref="PartitionLogOptions.PartitionMetricTags"/>).
    /// </summary>
    /// <param name="log">The log's name.</param>
    /// <param name="partition">The partition's name.</param>
    /// <param name="partitionTag">Whether measurements carry the <c>partition</c> tag.</param>
    public FlushMetrics(string log, string partition, bool partitionTag)
    {
        _log = log;
        _partition = partition;
        _partitionTag = partitionTag ? partition : null;
    }

    /// <summary>The log's name (the <c>log</c> tag of this partition's measurements).</summary>
    public string Log => _log;

    /// <summary>The partition's name (the <c>partition</c> tag of this partition's measurements).</summary>
    public string Partition => _partition;

    /// <summary>Records one flush.</summary>
    /// <param name="trigger">What started it.</param>
    /// <param name="succeeded">Whether it completed.</param>
    /// <param name="duration">How long the write of the checkpoint and the fsync took.</param>
    /// <param name="records">Records it made durable.</param>
    /// <param name="bytes">Bytes it made durable.</param>
    public void Record(FlushTrigger trigger, bool succeeded, TimeSpan duration, long records, long bytes)
    {
        lock (_sync)
        {
            _total++;
            switch (trigger)
            {
                case FlushTrigger.Sync: _syncFlushes++; break;
                case FlushTrigger.Batched: _batched++; break;
                case FlushTrigger.Periodic: _periodic++; break;
                default: _forced++; break;
            }

            if (succeeded)
            {
                _successful++;
                _records += records;
                _bytes += bytes;
                _maxRecords = Math.Max(_maxRecords, records);
                _latencyMicros.RecordValue(Math.Clamp((long)(duration.Ticks / 10.0), 1, 60_000_000));
            }
            else
            {
                _failed++;
            }
        }

        StorageInstruments.RecordFlush(_log, _partitionTag, trigger, succeeded, duration, records, bytes);
        StorageTelemetry.FlushRecorded(succeeded, records, bytes);
    }

    /// <summary>A snapshot, with the pending figures supplied by the partition.</summary>
    public FlushMetricsSnapshot Snapshot(long pendingRecords, long pendingBytes)
    {
        lock (_sync)
        {
            var empty = _latencyMicros.TotalCount == 0;
            TimeSpan At(double percentile) => empty ? TimeSpan.Zero : TimeSpan.FromTicks(_latencyMicros.GetValueAtPercentile(percentile) * 10);
            return new FlushMetricsSnapshot(
                _total, _successful, _failed, _syncFlushes, _batched, _periodic, _forced, _records, _bytes,
                pendingRecords, pendingBytes, At(50), At(95), At(99), At(99.9), _maxRecords);
        }
    }
}
