using System.Diagnostics;
using System.Globalization;

namespace OrleansAof.StressHarness;

/// <summary>
/// Appends single records and batches to random partitions, each with a <see cref="ProducerStamp"/> whose sequence rises per
/// partition. A failed append is retried later with the same stamp and the same bytes (never a new stamp while one is
/// pending on that partition), so a retry can never duplicate; meanwhile the producer works on other partitions.
/// </summary>
internal sealed class ProducerWorker(StressContext context, int number)
{
    private readonly Random _random = context.RandomFor(number);
    private readonly WorkerStatus _status = context.Status($"producer {number}");
    private readonly long _producerId = context.RandomFor(number + 100_000).NextInt64(1, long.MaxValue);
    private long _nextRecordNo;

    private sealed class Pending(ProducerStamp stamp, RecordPayloads payloads, long firstRecordNo, bool single)
    {
        public ProducerStamp Stamp { get; } = stamp;
        public RecordPayloads Payloads { get; } = payloads;
        public long FirstRecordNo { get; } = firstRecordNo;
        public bool Single { get; } = single;
        public int Attempts { get; set; }
        public long RetryAt { get; set; }
        public string? LastError { get; set; }
    }

    public async Task RunAsync()
    {
        var partitions = context.Options.Partitions;
        var pending = new Pending?[partitions];
        var sequences = new long[partitions];
        var stop = context.StopWorkload.Token;
        var abort = context.Abort.Token;
        long stoppedAt = 0;
        while (!abort.IsCancellationRequested)
        {
            var stopping = stop.IsCancellationRequested;
            if (stopping)
            {
                if (stoppedAt == 0)
                {
                    stoppedAt = Stopwatch.GetTimestamp();
                }

                if (Array.TrueForAll(pending, p => p is null))
                {
                    _status.Set("done");
                    return;
                }

                if (Stopwatch.GetElapsedTime(stoppedAt) > context.Options.StallTimeout)
                {
                    for (var p = 0; p < partitions; p++)
                    {
                        if (pending[p] is { } left)
                        {
                            context.Violation($"producer {number}: the append with stamp {left.Stamp.Sequence} to partition {p} was never acknowledged after the workload stopped ({left.Attempts} attempts, last error {left.LastError})");
                        }
                    }

                    return;
                }
            }

            var now = Stopwatch.GetTimestamp();
            var partition = Pick(pending, now, stopping);
            if (partition < 0)
            {
                var wait = pending.Where(p => p is not null).Select(p => p!.RetryAt).DefaultIfEmpty(now).Min();
                await Delay(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, Stopwatch.GetElapsedTime(now, wait).Ticks)), abort);
                continue;
            }

            var batch = pending[partition] ??= NewBatch(partition, sequences[partition]++);
            await AppendAsync(partition, batch, pending);
        }
    }

    private int Pick(Pending?[] pending, long now, bool onlyPending)
    {
        var start = _random.Next(pending.Length);
        for (var i = 0; i < pending.Length; i++)
        {
            var p = (start + i) % pending.Length;
            if (pending[p] is { } b ? b.RetryAt <= now : !onlyPending)
            {
                return p;
            }
        }

        return -1;
    }

    private Pending NewBatch(int partition, long sequence)
    {
        var single = _random.Next(3) == 0;
        var count = single ? 1 : _random.Next(1, 21);
        var payloads = new byte[count][];
        var first = _nextRecordNo;
        for (var i = 0; i < count; i++)
        {
            payloads[i] = StressPayload.Create(new RecordIdentity(number, _nextRecordNo++), sequence, partition, PayloadSize());
        }

        return new Pending(new ProducerStamp(_producerId, sequence), RecordPayloads.From(payloads), first, single);
    }

    private int PayloadSize()
    {
        var max = context.Options.MaxPayloadBytes;
        return _random.Next(10) switch
        {
            0 => _random.Next(StressPayload.HeaderBytes, max + 1),
            < 3 => _random.Next(StressPayload.HeaderBytes, Math.Min(max, 2048) + 1),
            _ => _random.Next(StressPayload.HeaderBytes, Math.Min(max, 400) + 1),
        };
    }

    private async Task AppendAsync(int partition, Pending batch, Pending?[] pending)
    {
        var name = context.PartitionName(partition);
        _status.Set(string.Create(CultureInfo.InvariantCulture,
            $"appending {batch.Payloads.Count} record(s) with stamp {batch.Stamp.Sequence} to partition {partition} (attempt {batch.Attempts + 1}{(batch.LastError is null ? "" : ", last error " + batch.LastError)})"));
        Interlocked.Increment(ref context.Counters.AppendCalls);
        if (batch.Attempts > 0)
        {
            Interlocked.Increment(ref context.Counters.AppendsRetried);
        }

        AppendAck ack;
        try
        {
            ack = batch.Single
                ? await context.Log.AppendToPartitionAsync(name, batch.Payloads.Buffer, expectedLastId: null, batch.Stamp)
                : await context.Log.AppendBatchAsync(name, batch.Payloads, expectedLastId: null, batch.Stamp);
        }
        catch (Exception e) when (IsRetryable(e))
        {
            context.Error("append", e);
            batch.Attempts++;
            batch.LastError = StressContext.Kind(e);
            var backoff = e is LogBackpressureException { RetryAfter: var after } && after > TimeSpan.Zero
                ? after
                : TimeSpan.FromMilliseconds(Math.Min(1000, 25 << Math.Min(batch.Attempts, 6)) * (0.5 + _random.NextDouble()));
            batch.RetryAt = Stopwatch.GetTimestamp() + (long)(backoff.TotalSeconds * Stopwatch.Frequency);
            return;
        }
        catch (Exception e)
        {
            pending[partition] = null;
            context.Violation($"producer {number}: append with stamp {batch.Stamp.Sequence} to partition {partition} failed with a non-retryable {StressContext.Kind(e)}: {context.Detail(e)}");
            return;
        }

        pending[partition] = null;
        if (ack.Count != batch.Payloads.Count)
        {
            context.Violation($"producer {number}: append of {batch.Payloads.Count} record(s) to partition {partition} was acknowledged as ids {ack.FirstId}..{ack.LastId}");
            return;
        }

        if (ack.IsDuplicate)
        {
            Interlocked.Increment(ref context.Counters.DuplicateAcks);
            if (batch.Attempts == 0)
            {
                context.Violation($"producer {number}: the first attempt with stamp {batch.Stamp.Sequence} on partition {partition} came back as a duplicate (ids {ack.FirstId}..{ack.LastId})");
            }
        }

        var ledger = context.Ledgers[partition];
        for (var i = 0; i < batch.Payloads.Count; i++)
        {
            var identity = new RecordIdentity(number, batch.FirstRecordNo + i);
            if (!ledger.TrySet(ack.FirstId + i, identity, out var existing))
            {
                context.Violation($"partition {partition} id {ack.FirstId + i} was acknowledged for {existing} and again for {identity}");
            }
        }

        context.Acknowledged(batch.Payloads.Count);
    }

    /// <summary>Errors after which the same append may succeed: the typed retryable ones and transport failures (a killed silo, a timeout).</summary>
    public static bool IsRetryable(Exception e) => e switch
    {
        AppendLogException a => a.IsRetryable,
        TimeoutException or OperationCanceledException => true,
        Orleans.Runtime.OrleansException => true,
        _ => false,
    };

    private static async Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
