using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OrleansAof.Server;

/// <summary>The silo-side instruments of the append log (meter <see cref="AppendLogTelemetry.ServerMeterName"/>).</summary>
internal sealed class ServerInstruments : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "OrleansAof.Server";

    private readonly Meter _meter;
    private readonly Counter<long> _appendCalls;
    private readonly Counter<long> _notifications;
    private readonly Counter<long> _placementRefusals;
    private readonly Counter<long> _activations;
    private readonly Counter<long> _archivedSegments;
    private readonly Counter<long> _evictedSegments;
    private readonly Counter<long> _retentionDeletions;
    private readonly Counter<long> _archivalRuns;

    /// <summary>Creates the instruments; <paramref name="partitions"/> feeds the open-partition gauge.</summary>
    public ServerInstruments(OpenPartitions partitions, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        _meter = meterFactory?.Create(MeterName, "1.0") ?? new Meter(MeterName, "1.0");
        _appendCalls = _meter.CreateCounter<long>("aof-grain-append-calls", "{call}", "Append calls served by partition grains.");
        _notifications = _meter.CreateCounter<long>("aof-tail-notifications", "{notification}", "Tail notifications published by partition grains.");
        _placementRefusals = _meter.CreateCounter<long>("aof-placement-refusals", "{placement}", "Partition activations refused because the owner silo was not active.");
        _activations = _meter.CreateCounter<long>("aof-partition-activations", "{activation}", "Partition grain activations (each one opens and recovers a partition).");
        _archivedSegments = _meter.CreateCounter<long>("aof-archived-segments", "{segment}", "Sealed segments archived by archiver runs.");
        _evictedSegments = _meter.CreateCounter<long>("aof-evicted-segments", "{segment}", "Archived segments removed from local disk by archiver runs (still readable from the archive).");
        _retentionDeletions = _meter.CreateCounter<long>("aof-retention-deletions", "{segment}", "Segments deleted for good by the retention policy (RetentionAge).");
        _archivalRuns = _meter.CreateCounter<long>("aof-archival-runs", "{run}", "Archiver runs, by result (success, or failure when the archive or a segment stopped the run).");
        _meter.CreateObservableGauge("aof-active-partitions", () => partitions.Count, "{partition}", "Partitions open on this silo.");
    }

    internal void AppendCall() => _appendCalls.Add(1);

    internal void Notification() => _notifications.Add(1);

    internal void PlacementRefused() => _placementRefusals.Add(1);

    internal void Activation() => _activations.Add(1);

    internal void ArchivalRun(string log, int archived, int evicted, int deleted, bool succeeded)
    {
        var tags = new TagList { { "log", log } };
        _archivedSegments.Add(archived, tags);
        _evictedSegments.Add(evicted, tags);
        _retentionDeletions.Add(deleted, tags);
        tags.Add("result", succeeded ? "success" : "failure");
        _archivalRuns.Add(1, tags);
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
