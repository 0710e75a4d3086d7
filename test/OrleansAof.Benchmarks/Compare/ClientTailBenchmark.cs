using System.Diagnostics;
using System.Globalization;
using OrleansAof.Client;

namespace OrleansAof.Benchmarks.Compare;

/// <summary>
/// Whether the client's <see cref="AppendLogHandle.TailAsync"/> (one <see cref="LogRecord"/> per item) keeps up with a paced producer: one task appends
/// <c>rate</c> records/s (batches through <see cref="AppendLogHandle.AppendBatchAsync"/>, each carrying the records due
/// since the previous one, at most one batch per millisecond) to a partition under BatchedOrPeriodic(1000, 10 ms) for
/// <c>duration</c>, while one tail consumes it from id 0 through the same client. Samples every 100 ms the consumer's
/// lag (appended minus consumed) and the GC heap of the process (silo and client share it); the heap is also measured
/// after a full collection at the start, the middle and the end.
/// </summary>
internal static class ClientTailBenchmark
{
    public static async Task<List<AbsoluteRow>> RunAsync(AppendLogHandle log, int rate, int recordSize, TimeSpan duration, bool batches, Action<string> progress)
    {
        const string partition = "0";
        await log.Partition(partition).SetFlushPolicyAsync(LogFlushPolicy.BatchedOrPeriodic(1000, TimeSpan.FromMilliseconds(10)));
        var payload = Shared.Payloads.Of(recordSize);
        long appended = 0, consumed = 0, maxLag = 0, peakHeap = 0;
        using var stop = new CancellationTokenSource();

        var heapStart = HeapAfterFullCollection();
        var start = Stopwatch.GetTimestamp();
        var consumer = Task.Run(async () =>
        {
            var expected = 0L;
            if (batches)
            {
                await foreach (var batch in log.TailBatchesAsync(partition, 0, stop.Token))
                {
                    for (var i = 0; i < batch.Count; i++)
                    {
                        Check(batch.Entries[i].Id, batch.Entries[i].Length, expected++);
                    }

                    Volatile.Write(ref consumed, expected);
                }

                return;
            }

            await foreach (var record in log.TailAsync(partition, 0, stop.Token))
            {
                Check(record.Id, record.Payload.Length, expected++);
                Volatile.Write(ref consumed, expected);
            }
        });

        void Check(long id, int length, long expected)
        {
            if (id != expected || length != recordSize)
            {
                throw new InvalidOperationException($"The tail returned id {id} ({length} bytes) where {expected} was next.");
            }
        }

        var producer = Task.Run(async () =>
        {
            var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
            var sent = 0L;
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                if (now >= end)
                {
                    break;
                }

                var due = (long)((now - start) / (double)Stopwatch.Frequency * rate) - sent;
                if (due > 0)
                {
                    var count = (int)Math.Min(due, 5000);
                    var batch = RecordPayloads.From(Enumerable.Repeat<ReadOnlyMemory<byte>>(payload, count).ToArray());
                    var ack = await log.AppendBatchAsync(partition, batch);
                    sent += count;
                    Volatile.Write(ref appended, ack.LastId + 1);
                }

                await tick.WaitForNextTickAsync();
            }
        });

        var samples = new List<(double Seconds, long Lag, long Heap)>();
        double? heapMiddle = null;
        while (!producer.IsCompleted)
        {
            await Task.WhenAny(producer, Task.Delay(100));
            var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var lag = Volatile.Read(ref appended) - Volatile.Read(ref consumed);
            var heap = GC.GetTotalMemory(forceFullCollection: false);
            samples.Add((seconds, lag, heap));
            maxLag = Math.Max(maxLag, lag);
            peakHeap = Math.Max(peakHeap, heap);
            if (heapMiddle is null && seconds >= duration.TotalSeconds / 2)
            {
                heapMiddle = HeapAfterFullCollection();
            }

            if (samples.Count % 50 == 0)
            {
                progress(FormattableString.Invariant($"client tail: {seconds:0} s, appended {Volatile.Read(ref appended):N0}, lag {lag:N0} records, GC heap {heap / 1048576.0:0} MiB"));
            }

            if (consumer.IsFaulted)
            {
                await consumer;
            }
        }

        await producer;
        var produceSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var appendedTotal = Volatile.Read(ref appended);
        var consumedAtEnd = Volatile.Read(ref consumed);
        var lagAtEnd = appendedTotal - consumedAtEnd;

        // How long the consumer needs for the rest, at most 30 s.
        var catchUp = Stopwatch.StartNew();
        while (Volatile.Read(ref consumed) < appendedTotal && catchUp.Elapsed < TimeSpan.FromSeconds(30) && !consumer.IsCompleted)
        {
            await Task.Delay(5);
        }

        var caughtUp = Volatile.Read(ref consumed) >= appendedTotal;
        var catchUpMs = catchUp.Elapsed.TotalMilliseconds;
        await stop.CancelAsync();
        await consumer;
        var heapEnd = HeapAfterFullCollection();

        var producedRate = appendedTotal / produceSeconds;
        var consumerRate = consumedAtEnd / produceSeconds;
        var pass = producedRate >= rate * 0.98 && consumerRate >= rate * 0.98 && caughtUp;
        var firstQuarter = samples.Where(s => s.Seconds <= duration.TotalSeconds / 4).Select(s => (double)s.Heap).DefaultIfEmpty(0).Average();
        var lastQuarter = samples.Where(s => s.Seconds >= duration.TotalSeconds * 3 / 4).Select(s => (double)s.Heap).DefaultIfEmpty(0).Average();
        string Mib(double bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
        var size = Shared.Payloads.SizeName(recordSize);
        return
        [
            new AbsoluteRow(
                batches ? "" : "O3",
                $"client {(batches ? "TailBatchesAsync" : "TailAsync")} ({size} records, producer paced at {rate:N0}/s for {duration.TotalSeconds:0} s)",
                FormattableString.Invariant($"{consumerRate:N0} rec/s consumed"),
                FormattableString.Invariant($"produced {producedRate:N0} rec/s ({appendedTotal:N0} records); lag at the end of production {lagAtEnd:N0} records, max lag {maxLag:N0} records ({maxLag * 1000.0 / rate:0} ms of production); caught up {(caughtUp ? $"{catchUpMs:0} ms" : "no")} after"),
                $"≥ {rate:N0} rec/s (98%), catches up",
                pass),
            new AbsoluteRow(
                batches ? "" : "O3",
                $"{(batches ? "TailBatchesAsync" : "TailAsync")}: GC heap of the process (silo + client), after a full collection: start / middle / end",
                $"{Mib(heapStart)} / {Mib(heapMiddle ?? double.NaN)} / {Mib(heapEnd)}",
                $"sampled every 100 ms without collecting: peak {Mib(peakHeap)}; mean of the first quarter {Mib(firstQuarter)}, of the last quarter {Mib(lastQuarter)}",
                "no growth with time",
                null),
        ];
    }

    private static long HeapAfterFullCollection() => GC.GetTotalMemory(forceFullCollection: true);
}
