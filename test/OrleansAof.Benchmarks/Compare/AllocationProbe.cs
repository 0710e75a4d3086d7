using System.Diagnostics;
using System.Diagnostics.Tracing;
using OrleansAof.Benchmarks.Shared;
using OrleansAof.Storage;

namespace OrleansAof.Benchmarks.Compare;

/// <summary>
/// Allocations caused by appending, counted with <see cref="GC.GetTotalAllocatedBytes(bool)"/> (every thread, so the
/// flusher and timers count too):
/// <list type="bullet">
/// <item>steady state: windows of appends inside one chunk of the active segment's offset index and away from a seal, so
/// only what each append (and each flush it causes) allocates is counted;</item>
/// <item>amortized: many segments' worth of appends including rollover and seal, with the allocated types sampled from
/// the runtime's allocation events (one event per ~100 KB allocated).</item>
/// </list>
/// </summary>
internal static class AllocationProbe
{
    private const int IndexChunk = 8192;
    private const int Window = 4000;

    public static async Task<List<AbsoluteRow>> RunAsync(TempRoot temp, bool quick, Action<string> progress)
    {
        var rows = new List<AbsoluteRow>();
        var windows = quick ? 3 : 8;
        var cases = new List<(FlushPolicy Policy, int Size)>
        {
            (FlushPolicy.Sync, 1024),
            (FlushPolicy.Async, 1024),
            (FlushPolicy.Batched(1000), 1024),
            (FlushPolicy.Periodic(TimeSpan.FromMilliseconds(10)), 1024),
            (FlushPolicy.BatchedOrPeriodic(1000, TimeSpan.FromMilliseconds(10)), 1024),
            (FlushPolicy.Async, 64),
            (FlushPolicy.Async, 16 * 1024),
        };

        // Under Sync each append is one flush, so its figure is what one flush allocates (gates); the other policies'
        // windows are then checked for anything beyond their flushes.
        var perFlush = 0.0;
        foreach (var (policy, size) in cases)
        {
            progress($"allocations: steady state, {Engine.PolicyName(policy)}, {Payloads.SizeName(size)}");
            var root = temp.NewFolder("alloc");
            try
            {
                var sync = policy.WaitsForDurability;
                var (window, results) = await SteadyStateAsync(root, policy, size, sync ? 1 : windows);
                var perAppend = Stats.Median(results.Select(r => r.Bytes / (double)window));
                var flushes = Stats.Median(results.Select(r => (double)r.Flushes));
                if (sync)
                {
                    perFlush = Stats.Median(results.Select(r => r.Bytes / (double)Math.Max(1, r.Flushes)));
                    rows.Add(new AbsoluteRow(
                        "",
                        $"allocated per append, steady state: {Engine.PolicyName(policy)} x1, {Payloads.SizeName(size)}",
                        $"{perAppend:0.00} B",
                        $"{window} appends, {flushes:0} flushes: ≈ {perFlush:0} B per flush (its completion gates)",
                        "",
                        null));
                    continue;
                }

                // A flush allocates its gates when it starts and is counted when it ends, so a window can hold one
                // flush's objects without its count: up to one flush's bytes per window are not held against appends.
                var residual = Stats.Median(results.Select(r => r.Bytes - (r.Flushes * perFlush)));
                rows.Add(new AbsoluteRow(
                    "T6",
                    $"allocated per append, steady state: {Engine.PolicyName(policy)} x1, {Payloads.SizeName(size)}",
                    $"{perAppend:0.00} B",
                    $"median of {windows} windows of {window} appends with {flushes:0} flushes each; beyond the flushes: {Math.Max(0, residual):0} B per window",
                    "0 B per append (a window's flushes aside, ±1)",
                    residual <= perFlush));
            }
            finally
            {
                TempRoot.Delete(root);
            }
        }

        foreach (var policy in new[] { FlushPolicy.Async, FlushPolicy.Batched(1000) })
        {
            progress($"allocations: amortized over segments, {Engine.PolicyName(policy)}");
            var root = temp.NewFolder("alloc");
            try
            {
                var (perAppend, types) = await AmortizedAsync(root, policy, 1024, quick ? 70_000 : 200_000);
                rows.Add(new AbsoluteRow(
                    "",
                    $"allocated per append, amortized incl. rollover and seal: {Engine.PolicyName(policy)} x1, 1 KiB",
                    $"{perAppend:0.0} B",
                    "sampled types: " + types,
                    "",
                    null));
            }
            finally
            {
                TempRoot.Delete(root);
            }
        }

        return rows;
    }

    private static async Task<(int Window, List<(long Bytes, long Flushes)> Windows)> SteadyStateAsync(string root, FlushPolicy policy, int size, int windows)
    {
        var payload = Payloads.Of(size);
        var frame = Storage.Format.SegmentFormat.RecordFrameSize(size) + 16L;
        var options = Engine.Options(root, policy);
        var log = await PartitionLog.OpenAsync(Engine.LogName, Engine.PartitionName, options);
        try
        {
            var warm = policy.WaitsForDurability ? 200 : 20_000;
            for (var i = 0; i < warm; i++)
            {
                await log.AppendAsync(payload);
            }

            // A window stays inside one chunk of the offset index and well inside one segment.
            var window = policy.WaitsForDurability ? 500 : (int)Math.Clamp(options.MaxSegmentBytes / 4 / frame, 100, Window);
            var results = new List<(long Bytes, long Flushes)>();
            for (var attempt = 0; results.Count < windows; attempt++)
            {
                if (attempt > windows * 50)
                {
                    throw new InvalidOperationException($"Found no room for {windows} windows of {window} appends.");
                }

                Disk.EnsureFreeSpace(root);
                var active = log.GetInfo().Segments[^1];
                var next = log.NextId - active.BaseId;
                var inChunk = next % IndexChunk;
                var roomInSegment = options.MaxSegmentBytes - active.SizeBytes - ((active.RecordCount + window) * 16L) - (1L << 20);
                long filler = 0;
                if (roomInSegment < window * frame)
                {
                    // Write on into the next segment.
                    filler = Math.Clamp((roomInSegment / frame) + 2, 1, 512);
                }
                else if (inChunk == 0 || inChunk + window > IndexChunk)
                {
                    // Write on to just past the next chunk boundary.
                    filler = Math.Min(512, ((IndexChunk - inChunk) % IndexChunk) + 1);
                }

                if (filler > 0)
                {
                    for (var i = 0; i < filler; i++)
                    {
                        await log.AppendAsync(payload);
                    }

                    continue;
                }

                var flushesBefore = log.GetFlushMetrics().SuccessfulFlushes;
                var before = GC.GetTotalAllocatedBytes(precise: true);
                for (var i = 0; i < window; i++)
                {
                    await log.AppendAsync(payload);
                }

                var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                var flushes = log.GetFlushMetrics().SuccessfulFlushes - flushesBefore;
                if (log.GetInfo().Segments[^1].BaseId != active.BaseId)
                {
                    continue;
                }

                results.Add((allocated, flushes));
            }

            return (window, results);
        }
        finally
        {
            await log.CloseAsync(seal: false);
        }
    }

    private static async Task<(double PerAppend, string Types)> AmortizedAsync(string root, FlushPolicy policy, int size, int records)
    {
        var payload = Payloads.Of(size);
        var log = await Engine.OpenAsync(root, policy);
        try
        {
            for (var i = 0; i < 1000; i++)
            {
                await log.AppendAsync(payload);
            }

            using var sampler = new AllocationSampler();
            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < records; i++)
            {
                await log.AppendAsync(payload);
            }

            await log.FlushAsync();
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            return (allocated / (double)records, sampler.Summary(records));
        }
        finally
        {
            await log.CloseAsync(seal: false);
        }
    }

    /// <summary>Collects the runtime's <c>GCAllocationTick</c> events (type name and amount, about one per 100 KB allocated).</summary>
    private sealed class AllocationSampler : EventListener
    {
        private readonly Dictionary<string, long> _bytesByType = [];
        private readonly Lock _sync = new();

        public string Summary(long records)
        {
            lock (_sync)
            {
                var parts = _bytesByType.OrderByDescending(p => p.Value).Take(8).Select(p => $"{p.Key} ≈ {p.Value / (double)records:0.0} B/rec");
                return string.Join("; ", parts);
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
            {
                return;
            }

            var typeIndex = eventData.PayloadNames.IndexOf("TypeName");
            var amountIndex = eventData.PayloadNames.IndexOf("AllocationAmount64");
            if (typeIndex < 0 || amountIndex < 0 || eventData.Payload is null)
            {
                return;
            }

            var type = eventData.Payload[typeIndex] as string ?? "?";
            var amount = Convert.ToInt64(eventData.Payload[amountIndex], System.Globalization.CultureInfo.InvariantCulture);
            lock (_sync)
            {
                _bytesByType[type] = _bytesByType.GetValueOrDefault(type) + amount;
            }
        }
    }

    /// <summary>
    /// Bytes allocated per call of <paramref name="call"/>, made one after another (after 500 warm-up calls), on every
    /// thread of this process: with a client and a silo in the process, both ends of a grain call count. Also the
    /// allocated types the runtime sampled.
    /// </summary>
    /// <remarks>
    /// The process allocates in the background too (the silo's and client's timers, pings, statistics), at a rate that
    /// does not depend on the calls: <paramref name="backgroundBytesPerSecond"/> times the run's duration is taken off,
    /// so a slower call (one that waits for an fsync) is not charged for the background work of its longer run.
    /// </remarks>
    public static async Task<(double PerCall, string Types)> PerCallAsync(Func<byte[], Task<AppendAck>> call, byte[] payload, double backgroundBytesPerSecond, int calls = 5_000)
    {
        for (var i = 0; i < 500; i++)
        {
            await call(payload);
        }

        using var sampler = new AllocationSampler();
        var start = Stopwatch.GetTimestamp();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < calls; i++)
        {
            await call(payload);
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        var background = backgroundBytesPerSecond * Stopwatch.GetElapsedTime(start).TotalSeconds;
        return ((allocated - background) / calls, sampler.Summary(calls));
    }

    /// <summary>Bytes this process allocates per second while nothing calls it (measured over <paramref name="period"/>).</summary>
    public static async Task<double> BackgroundRateAsync(TimeSpan period)
    {
        var start = Stopwatch.GetTimestamp();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await Task.Delay(period);
        return (GC.GetTotalAllocatedBytes(precise: true) - before) / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
