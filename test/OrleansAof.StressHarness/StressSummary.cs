using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansAof.StressHarness;

/// <summary>What a run did and found. <see cref="Passed"/> is true only when there was no violation.</summary>
public sealed record StressSummary
{
    public required string Settings { get; init; }
    public required int Seed { get; init; }
    public required string Log { get; init; }
    public required TimeSpan Elapsed { get; init; }
    public long AppendCalls { get; init; }
    public long AppendsAcknowledged { get; init; }
    public long AppendsRetried { get; init; }
    public long DuplicateAcks { get; init; }
    public long Reads { get; init; }
    public long RecordsRead { get; init; }
    public long ReadsFromArchive { get; init; }
    public long RecordsReadFromArchive { get; init; }
    public long ReadsUnavailable { get; init; }
    public long SubscriberRecordsDelivered { get; init; }
    public long SubscriberJoins { get; init; }
    public long SubscriberLeaves { get; init; }
    public long TailErrors { get; init; }
    public long Flushes { get; init; }
    public long Seals { get; init; }
    public long PolicySwitches { get; init; }
    public long Deactivations { get; init; }
    public long SiloKills { get; init; }
    public long SiloRestarts { get; init; }
    public long SegmentsSealed { get; init; }
    public long SegmentsArchived { get; init; }
    public long SegmentsEvicted { get; init; }
    public long RecordsInLog { get; init; }
    public long RecordsScanned { get; init; }
    public long PeakWorkingSetBytes { get; init; }
    public long PeakGcHeapBytes { get; init; }
    public long PeakGcHeapAfterWarmUpBytes { get; init; }
    public long GcHeapAtEndOfWarmUpBytes { get; init; }
    public long PeakLiveHeapAfterWarmUpBytes { get; init; }
    public long LiveHeapAtEndOfWarmUpBytes { get; init; }
    public IReadOnlyDictionary<string, long> RetriedErrors { get; init; } = new Dictionary<string, long>();
    public long ViolationCount { get; init; }
    public IReadOnlyList<string> Violations { get; init; } = [];
    public string? DataPath { get; init; }

    public bool Passed => ViolationCount == 0;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public string ToText()
    {
        static string MiB(long bytes) => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
        var t = new StringBuilder();
        void Line(string name, object value) => t.Append(CultureInfo.InvariantCulture, $"  {name,-34} {value}\n");
        t.Append(CultureInfo.InvariantCulture, $"stress summary: {(Passed ? "PASSED" : "FAILED")} after {Elapsed:hh\\:mm\\:ss} (seed {Seed}, log {Log})\n");
        t.Append(CultureInfo.InvariantCulture, $"  {Settings}\n");
        Line("appends acknowledged (records)", AppendsAcknowledged);
        Line("append calls / retried / duplicate", $"{AppendCalls} / {AppendsRetried} / {DuplicateAcks}");
        Line("reads / records read", $"{Reads} / {RecordsRead}");
        Line("reads from archive / their records", $"{ReadsFromArchive} / {RecordsReadFromArchive}");
        Line("reads while unavailable", ReadsUnavailable);
        Line("subscriber records delivered", SubscriberRecordsDelivered);
        Line("subscriber joins / leaves", $"{SubscriberJoins} / {SubscriberLeaves}");
        Line("tail errors (resumed)", TailErrors);
        Line("flushes / seals / policy switches", $"{Flushes} / {Seals} / {PolicySwitches}");
        Line("partition deactivations", Deactivations);
        Line("silo kills / restarts", $"{SiloKills} / {SiloRestarts}");
        Line("segments sealed / archived / evicted", $"{SegmentsSealed} / {SegmentsArchived} / {SegmentsEvicted}");
        Line("records in log / scanned at end", $"{RecordsInLog} / {RecordsScanned}");
        Line("peak working set", MiB(PeakWorkingSetBytes));
        Line("peak GC heap (after warm-up)", $"{MiB(PeakGcHeapBytes)} ({MiB(PeakGcHeapAfterWarmUpBytes)}; {MiB(GcHeapAtEndOfWarmUpBytes)} at end of warm-up)");
        Line("peak live heap after warm-up", $"{MiB(PeakLiveHeapAfterWarmUpBytes)} ({MiB(LiveHeapAtEndOfWarmUpBytes)} at end of warm-up; bound checked on this)");
        if (RetriedErrors.Count > 0)
        {
            t.Append("  retried errors:\n");
            foreach (var (kind, count) in RetriedErrors)
            {
                t.Append(CultureInfo.InvariantCulture, $"    {kind}: {count}\n");
            }
        }

        if (DataPath is not null)
        {
            t.Append(CultureInfo.InvariantCulture, $"  data kept at {DataPath}\n");
        }

        t.Append(CultureInfo.InvariantCulture, $"  violations: {ViolationCount}\n");
        foreach (var v in Violations)
        {
            t.Append(CultureInfo.InvariantCulture, $"    {v}\n");
        }

        if (Violations.Count < ViolationCount)
        {
            t.Append(CultureInfo.InvariantCulture, $"    ... and {ViolationCount - Violations.Count} more\n");
        }

        return t.ToString();
    }
}
