using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OrleansAof.Storage;

/// <summary>The engine's <see cref="System.Diagnostics.Metrics"/> instruments (meter <c>OrleansAof.Storage</c>).</summary>
/// <remarks>
/// Measurements of a partition carry the tag <c>log</c>, and <c>partition</c> only when the partition was opened with
/// <see cref="PartitionLogOptions.PartitionMetricTags"/> (bounded cardinality by default: the gauges then aggregate the
/// partitions of a log). docs/observability.md lists every instrument with its unit, tags and meaning.
/// </remarks>
internal static class StorageInstruments
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "OrleansAof.Storage";

    internal const string DownloadSegment = "segment";

    private static readonly Meter Meter = new(MeterName, "1.0");
    private static readonly Counter<long> Flushes = Meter.CreateCounter<long>("aof-flushes", "{flush}", "Flushes, by trigger and result.");
    private static readonly Counter<long> FlushedRecords = Meter.CreateCounter<long>("aof-flushed-records", "{record}", "Records made durable.");
    private static readonly Counter<long> FlushedBytes = Meter.CreateCounter<long>("aof-flushed-bytes", "By", "Bytes made durable.");
    private static readonly Histogram<double> FlushDuration = Meter.CreateHistogram<double>("aof-flush-duration", "ms", "Duration of a flush (checkpoint write and fsync).");
    private static readonly Histogram<long> RecordsPerFlush = Meter.CreateHistogram<long>("aof-records-per-flush", "{record}", "Records made durable by one flush.");
    private static readonly Counter<long> AppendedRecords = Meter.CreateCounter<long>("aof-appended-records", "{record}", "Records appended.");
    private static readonly Counter<long> AppendedBytes = Meter.CreateCounter<long>("aof-appended-bytes", "By", "Payload bytes appended.");
    private static readonly Counter<long> SealedSegments = Meter.CreateCounter<long>("aof-sealed-segments", "{segment}", "Segments sealed.");
    private static readonly Counter<long> BackpressureRejections = Meter.CreateCounter<long>("aof-backpressure-rejections", "{append}", "Appends refused by backpressure, by reason.");
    private static readonly Counter<long> ArchiveUploadBytes = Meter.CreateCounter<long>("aof-archive-upload-bytes", "By", "Bytes stored in the archive (as stored, after compression).");
    private static readonly Histogram<double> ArchiveUploadDuration = Meter.CreateHistogram<double>("aof-archive-upload-duration", "ms", "Duration of a segment upload, retries included.");
    private static readonly Counter<long> ArchiveDownloadBytes = Meter.CreateCounter<long>("aof-archive-download-bytes", "By", "Bytes read back from the archive, by kind (whole segment or range).");
    private static readonly Histogram<double> ArchiveDownloadDuration = Meter.CreateHistogram<double>("aof-archive-download-duration", "ms", "Duration of a segment download, retries included.");
    private static readonly Counter<long> ArchiveFailures = Meter.CreateCounter<long>("aof-archive-failures", "{failure}", "Archive calls that failed after their retries, by operation and reason.");
    private static readonly Counter<long> ArchiveCacheRequests = Meter.CreateCounter<long>("aof-archive-cache-requests", "{request}", "Lookups of archived segments in the local read cache, by result (hit or miss).");
    private static readonly HashSet<PartitionLog> OpenPartitions = [];
    private static readonly Lock OpenPartitionsSync = new();

    static StorageInstruments()
    {
        Meter.CreateObservableGauge("aof-pending-records", () => PerPartition(static (p, m) => m.PendingRecords, Sum), "{record}", "Records written but not yet durable (summed over the partitions of a log).");
        Meter.CreateObservableGauge("aof-pending-bytes", () => PerPartition(static (p, m) => m.PendingBytes, Sum), "By", "Bytes written but not yet durable (summed over the partitions of a log).");
        Meter.CreateObservableGauge("aof-flush-success-rate", () => PerPartition(static (p, m) => m.SuccessRate, Math.Min), "1", "Successful flushes over all flushes since the partition was opened (1 when none; the lowest over the partitions of a log).");
        Meter.CreateObservableGauge("aof-open-partitions", () => { lock (OpenPartitionsSync) { return OpenPartitions.Count; } }, "{partition}", "Open partitions.");
        Meter.CreateObservableGauge("aof-archive-backlog-segments", () => PerPartition(static (p, m) => (long)p.ArchiveBacklog.Segments, Sum), "{segment}", "Sealed segments waiting for archival (summed over the partitions of a log).");
        Meter.CreateObservableGauge("aof-archive-backlog-bytes", () => PerPartition(static (p, m) => p.ArchiveBacklog.Bytes, Sum), "By", "Bytes of sealed segments waiting for archival (summed over the partitions of a log).");
    }

    internal static void Register(PartitionLog log)
    {
        lock (OpenPartitionsSync)
        {
            OpenPartitions.Add(log);
        }
    }

    internal static void Unregister(PartitionLog log)
    {
        lock (OpenPartitionsSync)
        {
            OpenPartitions.Remove(log);
        }
    }

    internal static void RecordFlush(string log, string? partition, FlushTrigger trigger, bool succeeded, TimeSpan duration, long records, long bytes)
    {
        if (Flushes.Enabled)
        {
            var flushTags = Tags(log, partition);
            flushTags.Add("trigger", TriggerTag(trigger));
            flushTags.Add("result", succeeded ? "success" : "failure");
            Flushes.Add(1, flushTags);
        }

        if (!succeeded)
        {
            return;
        }

        var tags = Tags(log, partition);
        FlushedRecords.Add(records, tags);
        FlushedBytes.Add(bytes, tags);
        FlushDuration.Record(duration.TotalMilliseconds, tags);
        RecordsPerFlush.Record(records, tags);
    }

    internal static void RecordAppend(long records, long bytes)
    {
        AppendedRecords.Add(records);
        AppendedBytes.Add(bytes);
    }

    internal static void RecordSeal() => SealedSegments.Add(1);

    internal static void RecordBackpressure(BackpressureReason reason)
    {
        if (BackpressureRejections.Enabled)
        {
            BackpressureRejections.Add(1, new KeyValuePair<string, object?>("reason", reason switch
            {
                BackpressureReason.UnflushedBytes => "unflushed-bytes",
                BackpressureReason.IdReservation => "id-reservation",
                _ => "archive-backlog",
            }));
        }
    }

    internal static void RecordUpload(string log, long bytes, TimeSpan duration)
    {
        var tags = new TagList { { "log", log } };
        ArchiveUploadBytes.Add(bytes, tags);
        ArchiveUploadDuration.Record(duration.TotalMilliseconds, tags);
    }

    internal static void RecordDownload(string log, string kind, long bytes, TimeSpan duration)
    {
        var tags = new TagList { { "log", log }, { "kind", kind } };
        ArchiveDownloadBytes.Add(bytes, tags);
        ArchiveDownloadDuration.Record(duration.TotalMilliseconds, tags);
    }

    internal static void RecordArchiveFailure(string log, string operation, string reason)
    {
        if (ArchiveFailures.Enabled)
        {
            ArchiveFailures.Add(1, new TagList { { "log", log }, { "operation", operation }, { "reason", reason } });
        }
    }

    internal static void RecordCacheLookup(string log, bool hit)
    {
        if (ArchiveCacheRequests.Enabled)
        {
            ArchiveCacheRequests.Add(1, new TagList { { "log", log }, { "result", hit ? "hit" : "miss" } });
        }
    }

    private static TagList Tags(string log, string? partition)
    {
        var tags = new TagList { { "log", log } };
        if (partition is not null)
        {
            tags.Add("partition", partition);
        }

        return tags;
    }

    private static string TriggerTag(FlushTrigger trigger) => trigger switch
    {
        FlushTrigger.Sync => "sync",
        FlushTrigger.Batched => "batched",
        FlushTrigger.Periodic => "periodic",
        _ => "forced",
    };

    private static long Sum(long a, long b) => a + b;

    /// <summary>One measurement per log, or per partition for partitions opened with <see cref="PartitionLogOptions.PartitionMetricTags"/>.</summary>
    private static List<Measurement<T>> PerPartition<T>(Func<PartitionLog, FlushMetricsSnapshot, T> selector, Func<T, T, T> combine)
        where T : struct
    {
        PartitionLog[] open;
        lock (OpenPartitionsSync)
        {
            open = [.. OpenPartitions];
        }

        var values = new Dictionary<(string Log, string? Partition), T>();
        foreach (var p in open)
        {
            var key = (p.Log, p.PartitionMetricTags ? p.Partition : null);
            var value = selector(p, p.GetFlushMetrics());
            values[key] = values.TryGetValue(key, out var existing) ? combine(existing, value) : value;
        }

        var result = new List<Measurement<T>>(values.Count);
        foreach (var ((log, partition), value) in values)
        {
            result.Add(new Measurement<T>(value, Tags(log, partition)));
        }

        return result;
    }
}
