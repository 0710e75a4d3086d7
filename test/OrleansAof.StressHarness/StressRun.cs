using System.Diagnostics;
using System.Globalization;

namespace OrleansAof.StressHarness;

/// <summary>
/// The stress run as a library call: <c>var summary = await StressRun.RunAsync(options, ct);</c>. The console program and
/// the test suite both call it.
/// </summary>
public static class StressRun
{
    /// <summary>Runs the workload for <see cref="StressOptions.Duration"/>, then the final checks; returns what happened.</summary>
    public static async Task<StressSummary> RunAsync(StressOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var seed = options.Seed ?? Random.Shared.Next();
        var logName = string.Create(CultureInfo.InvariantCulture, $"stress-{DateTime.UtcNow:yyyyMMddHHmmss}-{seed & 0xffff:x4}");
        await using var target = await StressTarget.StartAsync(options, logName, cancellationToken);
        var context = new StressContext(options, seed, logName, target);
        using var link = cancellationToken.Register(context.Abort.Cancel);
        using var abortStopsWorkload = context.Abort.Token.Register(context.StopWorkload.Cancel);
        var memory = new MemoryMonitor(context);
        var monitor = Task.Run(memory.RunAsync, CancellationToken.None);

        var chaos = new ChaosWorker(context);
        var subscribers = Enumerable.Range(1, options.Subscribers).Select(i => new SubscriberWorker(context, i)).ToList();
        var producers = Enumerable.Range(1, options.Producers).Select(i => Guard(context, $"producer {i}", new ProducerWorker(context, i).RunAsync)).ToList();
        var subscriberTasks = subscribers.Select((s, i) => Guard(context, $"subscriber {i + 1}", s.RunAsync)).ToList();
        var readers = Enumerable.Range(1, options.Readers).Select(i => Guard(context, $"reader {i}", new ReaderWorker(context, i).RunAsync)).ToList();
        var chaosTask = Guard(context, "chaos", chaos.RunAsync);
        var infoTask = Guard(context, "info", chaos.PollInfoAsync);
        var killer = Guard(context, "killer", new KillerWorker(context).RunAsync);

        try
        {
            await Task.Delay(options.Duration, context.Abort.Token);
        }
        catch (OperationCanceledException)
        {
        }

        // Stop: the killer restarts its silo, producers finish their pending appends (same stamps), chaos leaves every
        // partition on Sync and flushed; then every subscriber catches up to the final tail and the whole log is scanned.
        await context.StopWorkload.CancelAsync();
        await killer;
        await Task.WhenAll(producers);
        await Task.WhenAll(readers);
        await Task.WhenAll(subscriberTasks);
        await infoTask;
        await chaosTask;

        var finals = new PartitionStatus?[options.Partitions];
        var finalNext = new long[options.Partitions];
        if (!context.Abort.IsCancellationRequested)
        {
            await Guard(context, "final flush", () => chaos.ForEachPartitionAsync(async (p, grain) =>
            {
                await grain.FlushAsync();
                finals[p] = await grain.GetInfoAsync();
            }));
            for (var p = 0; p < options.Partitions; p++)
            {
                if (finals[p] is { } info)
                {
                    context.CheckInfo(p, info, context.Ledgers[p].MaxAcknowledged, "final");
                    finalNext[p] = info.NextId;
                    if (info.DurableId != info.LastId)
                    {
                        context.Violation($"final: partition {p} is not durable to its last id after a flush (durable {info.DurableId}, last {info.LastId})");
                    }

                    if (context.Ledgers[p].Count != info.NextId)
                    {
                        context.Violation($"final: partition {p} holds {info.NextId} records but {context.Ledgers[p].Count} were acknowledged");
                    }
                }
            }

            await Task.WhenAll(subscribers.Select((s, i) => Guard(context, $"subscriber {i + 1} catch-up", () => s.CatchUpAsync(finalNext))));
        }

        long scanned = 0;
        if (!context.Abort.IsCancellationRequested)
        {
            for (var p = 0; p < options.Partitions; p++)
            {
                scanned += await Guard(context, $"final scan {p}", () => ScanAsync(context, p, finalNext[p]));
            }
        }

        await context.Abort.CancelAsync();
        await monitor;
        var segments = finals.Where(f => f is not null).SelectMany(f => f!.Segments).ToList();
        var c = context.Counters;
        return new StressSummary
        {
            Settings = options.Describe(),
            Seed = seed,
            Log = logName,
            Elapsed = context.Clock.Elapsed,
            AppendCalls = c.AppendCalls,
            AppendsAcknowledged = c.AppendsAcknowledged,
            AppendsRetried = c.AppendsRetried,
            DuplicateAcks = c.DuplicateAcks,
            Reads = c.Reads,
            RecordsRead = c.RecordsRead,
            ReadsFromArchive = c.ReadsFromArchive,
            RecordsReadFromArchive = c.RecordsReadFromArchive,
            ReadsUnavailable = c.ReadsUnavailable,
            SubscriberRecordsDelivered = c.SubscriberRecords,
            SubscriberJoins = c.SubscriberJoins,
            SubscriberLeaves = c.SubscriberLeaves,
            TailErrors = c.TailErrors,
            Flushes = c.Flushes,
            Seals = c.Seals,
            PolicySwitches = c.PolicySwitches,
            Deactivations = c.Deactivations,
            SiloKills = c.SiloKills,
            SiloRestarts = c.SiloRestarts,
            SegmentsSealed = segments.Count(s => s.Status != "Active"),
            SegmentsArchived = segments.Count(s => s.Status is "Archived" or "LocalEvicted"),
            SegmentsEvicted = segments.Count(s => s.Status == "LocalEvicted"),
            RecordsInLog = finalNext.Sum(),
            RecordsScanned = scanned,
            PeakWorkingSetBytes = memory.PeakWorkingSet,
            PeakGcHeapBytes = memory.PeakHeap,
            PeakGcHeapAfterWarmUpBytes = memory.PeakHeapAfterWarmUp,
            GcHeapAtEndOfWarmUpBytes = memory.HeapAtEndOfWarmUp,
            PeakLiveHeapAfterWarmUpBytes = memory.PeakLiveHeapAfterWarmUp,
            LiveHeapAtEndOfWarmUpBytes = memory.LiveHeapAtEndOfWarmUp,
            RetriedErrors = context.ErrorKinds,
            ViolationCount = context.ViolationCount,
            Violations = context.Violations,
            DataPath = options.KeepData ? target.DataPath : null,
        };
    }

    /// <summary>Reads the whole partition: dense ids from 0, exact bytes, every id acknowledged for the record it holds, no record twice.</summary>
    private static async Task<long> ScanAsync(StressContext context, int partition, long nextId)
    {
        var name = context.PartitionName(partition);
        var seen = new SeenSet();
        var ledger = context.Ledgers[partition];
        long id = 0;
        while (id < nextId && !context.Abort.IsCancellationRequested)
        {
            var batch = await context.Log.ReadAsync(name, id, 2000);
            if (batch.Count == 0)
            {
                context.Violation($"final scan: partition {partition} returned no records from id {id} (next id {nextId})");
                break;
            }

            for (var i = 0; i < batch.Count; i++, id++)
            {
                var record = batch[i];
                if (record.Id != id)
                {
                    context.Violation($"final scan: partition {partition} returned id {record.Id} where id {id} was next");
                    return id;
                }

                if (!context.CheckRecord(partition, record, "final scan", out var identity))
                {
                    continue;
                }

                if (ledger.Get(id) is null)
                {
                    context.Violation($"final scan: partition {partition} id {id} holds {identity}, which was never acknowledged");
                }

                if (!seen.Add(identity))
                {
                    context.Violation($"final scan: partition {partition} holds {identity} twice (again at id {id})");
                }
            }
        }

        return id;
    }

    /// <summary>Runs a worker; an exception that escapes it is a violation (workers handle every expected error).</summary>
    private static async Task<T> Guard<T>(StressContext context, string name, Func<Task<T>> work)
    {
        try
        {
            return await Task.Run(work);
        }
        catch (Exception e) when (!(e is OperationCanceledException && context.Abort.IsCancellationRequested))
        {
            context.Violation($"{name} stopped with {StressContext.Kind(e)}: {e.Message}");
            return default!;
        }
        catch (OperationCanceledException)
        {
            return default!;
        }
    }

    private static Task<bool> Guard(StressContext context, string name, Func<Task> work) =>
        Guard(context, name, async () =>
        {
            await work();
            return true;
        });
}

/// <summary>Samples memory every second, prints progress, and fails the run when appends stall or the heap outgrows its bound.</summary>
internal sealed class MemoryMonitor(StressContext context)
{
    public long PeakWorkingSet { get; private set; }

    public long PeakHeap { get; private set; }

    public long PeakHeapAfterWarmUp { get; private set; }

    public long HeapAtEndOfWarmUp { get; private set; }

    /// <summary>The largest live heap (measured right after a full collection, every 30 s) after the warm-up.</summary>
    public long PeakLiveHeapAfterWarmUp { get; private set; }

    /// <summary>The live heap at the end of the warm-up.</summary>
    public long LiveHeapAtEndOfWarmUp { get; private set; }

    public async Task RunAsync()
    {
        var options = context.Options;
        var warmUp = options.WarmUp < options.Duration / 4 ? options.WarmUp : options.Duration / 4;
        var bound = options.MaxHeapMb * 1024L * 1024;
        var lastProgress = TimeSpan.Zero;
        var reportedHeap = false;
        var lastLive = TimeSpan.Zero;
        using var process = Process.GetCurrentProcess();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(context.Abort.Token))
            {
                process.Refresh();
                PeakWorkingSet = Math.Max(PeakWorkingSet, Math.Max(process.WorkingSet64, process.PeakWorkingSet64));
                var heap = GC.GetGCMemoryInfo().HeapSizeBytes;
                PeakHeap = Math.Max(PeakHeap, heap);
                var elapsed = context.Clock.Elapsed;
                if (elapsed >= warmUp)
                {
                    if (HeapAtEndOfWarmUp == 0)
                    {
                        HeapAtEndOfWarmUp = heap;
                    }

                    PeakHeapAfterWarmUp = Math.Max(PeakHeapAfterWarmUp, heap);
                    if (LiveHeapAtEndOfWarmUp == 0 || elapsed - lastLive >= TimeSpan.FromSeconds(30))
                    {
                        // The bound is on what stays reachable, not on garbage the GC has not collected yet.
                        lastLive = elapsed;
                        var live = GC.GetTotalMemory(forceFullCollection: true);
                        LiveHeapAtEndOfWarmUp = LiveHeapAtEndOfWarmUp == 0 ? live : LiveHeapAtEndOfWarmUp;
                        PeakLiveHeapAfterWarmUp = Math.Max(PeakLiveHeapAfterWarmUp, live);
                        if (live > bound && !reportedHeap)
                        {
                            reportedHeap = true;
                            context.Violation($"the live GC heap is {live / (1024 * 1024)} MiB after the warm-up (after a full collection), above --max-heap-mb {options.MaxHeapMb}");
                        }
                    }
                }

                var sinceAck = Stopwatch.GetElapsedTime(Volatile.Read(ref context.Counters.LastAckTimestamp));
                if (!context.StopWorkload.IsCancellationRequested && sinceAck > options.StallTimeout)
                {
                    context.Violation($"no append was acknowledged for {sinceAck.TotalSeconds:0} s (--stall-timeout {options.StallTimeout}); the workers were:{Environment.NewLine}{context.DescribeWorkers()}");
                    await context.Abort.CancelAsync();
                    return;
                }

                if (options.ProgressEvery > TimeSpan.Zero && elapsed - lastProgress >= options.ProgressEvery)
                {
                    lastProgress = elapsed;
                    var c = context.Counters;
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"[{elapsed:hh\\:mm\\:ss}] appends {Interlocked.Read(ref c.AppendsAcknowledged)} (retried {Interlocked.Read(ref c.AppendsRetried)}), reads {Interlocked.Read(ref c.Reads)} (archive {Interlocked.Read(ref c.ReadsFromArchive)}), tail records {Interlocked.Read(ref c.SubscriberRecords)} (joins {Interlocked.Read(ref c.SubscriberJoins)}), kills {Interlocked.Read(ref c.SiloKills)}, working set {process.WorkingSet64 / (1024 * 1024)} MiB, GC heap {heap / (1024 * 1024)} MiB, violations {context.ViolationCount}"));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
