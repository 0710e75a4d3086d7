using System.Diagnostics.Metrics;

namespace OrleansAof.Server;

/// <summary>The silo-side instruments of the append log (meter <c>OrleansAof.Server</c>).</summary>
public sealed class ServerInstruments : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "OrleansAof.Server";

    private readonly Meter _meter;
    private readonly Counter<long> _appendCalls;
    private readonly Counter<long> _notifications;
    private readonly Counter<long> _placementRefusals;
    private readonly Counter<long> _activations;

    /// <summary>Creates the instruments; <paramref name="partitions"/> feeds the open-partition gauge.</summary>
    public ServerInstruments(OpenPartitions partitions, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        _meter = meterFactory?.Create(MeterName, "1.0") ?? new Meter(MeterName, "1.0");
        _appendCalls = _meter.CreateCounter<long>("aof-grain-append-calls", "{call}", "Append calls served by partition grains.");
        _notifications = _meter.CreateCounter<long>("aof-tail-notifications", "{notification}", "Tail notifications published by partition grains.");
        _placementRefusals = _meter.CreateCounter<long>("aof-placement-refusals", "{placement}", "Partition activations refused because the owner silo was not active.");
        _activations = _meter.CreateCounter<long>("aof-partition-activations", "{activation}", "Partition grain activations (each one opens and recovers a partition).");
        _meter.CreateObservableGauge("aof-active-partitions", () => partitions.Count, "{partition}", "Partitions open on this silo.");
    }

    internal void AppendCall() => _appendCalls.Add(1);

    internal void Notification() => _notifications.Add(1);

    internal void PlacementRefused() => _placementRefusals.Add(1);

    internal void Activation() => _activations.Add(1);

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
