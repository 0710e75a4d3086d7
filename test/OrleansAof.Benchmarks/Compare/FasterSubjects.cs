using System.Diagnostics;
using FASTER.core;

namespace OrleansAof.Benchmarks.Compare;

/// <summary>How FasterLog producers get group commit.</summary>
internal enum FasterGroupCommit
{
    /// <summary><c>AutoCommit</c> with the default commit policy; producers call <c>EnqueueAndWaitForCommitAsync</c>.</summary>
    AutoCommit,

    /// <summary><c>AutoCommit</c> with <c>LogCommitPolicy.MaxParallel(1)</c>: one commit in flight, the next covers everything enqueued meanwhile.</summary>
    AutoCommitMaxParallel1,

    /// <summary>Each producer calls <c>EnqueueAsync</c> then <c>CommitAsync</c>; the default policy drops commit requests another one already covers.</summary>
    CommitPerProducer,
}

/// <summary>
/// A FasterLog 2.6.5 instance with its default settings (local device, 4 MiB pages, 8 MiB of memory, 1 GiB files, no
/// per-entry checksum), deleted on dispose.
/// </summary>
internal sealed class FasterInstance : IDisposable
{
    private readonly FasterLogSettings _settings;

    public FasterInstance(string folder, bool autoCommit = false, LogCommitPolicy? policy = null, bool checksums = false)
    {
        _settings = new FasterLogSettings(folder, deleteDirOnDispose: true)
        {
            AutoCommit = autoCommit,
            LogChecksum = checksums ? LogChecksumType.PerEntry : LogChecksumType.None,
        };
        if (policy is not null)
        {
            _settings.LogCommitPolicy = policy;
        }

        Log = new FasterLog(_settings);
    }

    public FasterLog Log { get; }

    public void Dispose()
    {
        Log.Dispose();
        _settings.Dispose();
    }
}

/// <summary>Commit per record: one producer task calls <c>EnqueueAsync</c> then <c>CommitAsync</c> (complete once durable) for each record.</summary>
internal sealed class FasterCommitPerRecordSubject(string folder, byte[] payload, TimeSpan slice) : ISubject
{
    private readonly FasterInstance _faster = new(folder);

    public string Name => "FasterLog commit per record";

    public async Task<Sample> RunSliceAsync()
    {
        var log = _faster.Log;
        var start = Stopwatch.GetTimestamp();
        var deadline = Sample.DeadlineAfter(slice);
        var n = await Task.Run(async () =>
        {
            long count = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                await log.EnqueueAsync(payload);
                await log.CommitAsync();
                count++;
            }

            return count;
        });
        return new Sample(n, n * payload.Length, Stopwatch.GetElapsedTime(start));
    }

    public ValueTask DisposeAsync()
    {
        _faster.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary><c>producers</c> concurrent producer tasks; each record is acknowledged once a (group) commit covers it.</summary>
internal sealed class FasterGroupCommitSubject : ISubject
{
    private readonly FasterInstance _faster;
    private readonly FasterGroupCommit _mode;
    private readonly int _producers;
    private readonly ReadOnlyMemory<byte> _payload;
    private readonly TimeSpan _slice;

    public FasterGroupCommitSubject(string folder, FasterGroupCommit mode, int producers, byte[] payload, TimeSpan slice)
    {
        _faster = mode switch
        {
            FasterGroupCommit.AutoCommit => new FasterInstance(folder, autoCommit: true),
            FasterGroupCommit.AutoCommitMaxParallel1 => new FasterInstance(folder, autoCommit: true, LogCommitPolicy.MaxParallel(1)),
            _ => new FasterInstance(folder),
        };
        _mode = mode;
        _producers = producers;
        _payload = payload;
        _slice = slice;
    }

    public string Name => $"FasterLog x{_producers} {ModeName(_mode)}";

    public static string ModeName(FasterGroupCommit mode) => mode switch
    {
        FasterGroupCommit.AutoCommit => "AutoCommit",
        FasterGroupCommit.AutoCommitMaxParallel1 => "AutoCommit + MaxParallel(1)",
        _ => "CommitAsync per producer",
    };

    public async Task<Sample> RunSliceAsync()
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = Sample.DeadlineAfter(_slice);
        var tasks = new Task<long>[_producers];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = _mode == FasterGroupCommit.CommitPerProducer
                ? Task.Run(() => EnqueueThenCommitUntilAsync(deadline))
                : Task.Run(() => EnqueueAndWaitUntilAsync(deadline));
        }

        var all = Task.WhenAll(tasks);

        // With AutoCommit and MaxParallel(1), FasterLog 2.6.5 now and then leaves the last entries of a burst
        // uncommitted and admits no further commit: when the producers stop, their EnqueueAndWaitForCommitAsync waits
        // forever. Once the slice is over, a strong commit (which the policy does not hold back) releases them; each
        // one is counted and reported with the results. Such a slice is timed as if its last commit had completed at
        // the deadline, which can only favour FasterLog.
        await Task.WhenAny(all, Task.Delay(_slice + TimeSpan.FromMilliseconds(250)));
        var released = false;
        while (!all.IsCompleted)
        {
            released = true;
            ReleaseCommits++;
            _faster.Log.CommitStrongly(out _, out _, spinWait: false);
            await Task.WhenAny(all, Task.Delay(100));
        }

        var counts = await all;
        var elapsed = released ? _slice : Stopwatch.GetElapsedTime(start);
        long records = 0;
        foreach (var c in counts)
        {
            records += c;
        }

        return new Sample(records, records * _payload.Length, elapsed);
    }

    /// <summary>How many explicit commits were needed after the end of a slice to release producers waiting for a commit.</summary>
    public int ReleaseCommits { get; private set; }

    public ValueTask DisposeAsync()
    {
        _faster.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<long> EnqueueAndWaitUntilAsync(long deadline)
    {
        long n = 0;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await _faster.Log.EnqueueAndWaitForCommitAsync(_payload);
            n++;
        }

        return n;
    }

    private async Task<long> EnqueueThenCommitUntilAsync(long deadline)
    {
        long n = 0;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await _faster.Log.EnqueueAsync(_payload);
            await _faster.Log.CommitAsync();
            n++;
        }

        return n;
    }
}

/// <summary>Enqueue only: one producer task enqueues a fixed number of records, then one commit; timed until that commit completes.</summary>
internal sealed class FasterEnqueueVolumeSubject(string folder, byte[] payload, long records) : ISubject
{
    private readonly FasterInstance _faster = new(folder);

    public string Name => "FasterLog enqueue + final commit";

    public async Task<Sample> RunSliceAsync()
    {
        var log = _faster.Log;
        var start = Stopwatch.GetTimestamp();
        await Task.Run(() =>
        {
            for (long i = 0; i < records; i++)
            {
                log.Enqueue(payload);
            }
        });
        await log.CommitAsync();
        return new Sample(records, records * payload.Length, Stopwatch.GetElapsedTime(start));
    }

    public ValueTask DisposeAsync()
    {
        _faster.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A FasterLog filled and committed once, iterated whole in each slice with <c>TryConsumeNext</c> (no copy; warm page cache).</summary>
internal sealed class FasterScanSubject : ISubject
{
    private readonly FasterInstance _faster;
    private readonly int _payloadSize;

    private readonly bool _checksums;

    private FasterScanSubject(FasterInstance faster, long records, int payloadSize, bool checksums)
    {
        _faster = faster;
        Records = records;
        _payloadSize = payloadSize;
        _checksums = checksums;
    }

    public string Name => _checksums ? "FasterLog scan, LogChecksum.PerEntry" : "FasterLog scan";

    public long Records { get; }

    /// <summary>A FasterLog of <paramref name="records"/> entries; with <paramref name="checksums"/> each entry carries FasterLog's per-entry checksum, verified when the scan reads it from the device.</summary>
    public static async Task<FasterScanSubject> CreateAsync(string folder, byte[] payload, long records, bool checksums = false)
    {
        var faster = new FasterInstance(folder, checksums: checksums);
        await Task.Run(() =>
        {
            for (long i = 0; i < records; i++)
            {
                faster.Log.Enqueue(payload);
            }
        });
        await faster.Log.CommitAsync();
        return new FasterScanSubject(faster, records, payload.Length, checksums);
    }

    public Task<Sample> RunSliceAsync() => Task.Run(async () =>
    {
        var log = _faster.Log;
        var consumer = new Consumer();
        var start = Stopwatch.GetTimestamp();
        using (var iterator = log.Scan(log.BeginAddress, log.TailAddress))
        {
            while (consumer.Count < Records)
            {
                if (!iterator.TryConsumeNext(consumer))
                {
                    if (iterator.Ended)
                    {
                        break;
                    }

                    await iterator.WaitAsync();
                }
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        if (consumer.Count != Records || consumer.Bytes != Records * _payloadSize || consumer.Sum < 0)
        {
            throw new InvalidOperationException($"The FasterLog scan saw {consumer.Count} entries and {consumer.Bytes} bytes; {Records} entries were written.");
        }

        return new Sample(consumer.Count, consumer.Bytes, elapsed);
    });

    public ValueTask DisposeAsync()
    {
        _faster.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed class Consumer : ILogEntryConsumer
    {
        public long Count { get; private set; }

        public long Bytes { get; private set; }

        public long Sum { get; private set; }

        public void Consume(ReadOnlySpan<byte> entry, long currentAddress, long nextAddress)
        {
            Sum += entry[0] + entry[^1];
            Bytes += entry.Length;
            Count++;
        }
    }
}
