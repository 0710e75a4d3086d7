using System.Diagnostics;
using OrleansAof.Storage;

namespace OrleansAof.Benchmarks.Compare;

/// <summary>Opening the engine's partitions for the comparisons.</summary>
internal static class Engine
{
    public const string LogName = "bench";
    public const string PartitionName = "p0";

    /// <summary>How appends reach the active segment (<c>--active-segment-write</c>; default the engine's default, <see cref="ActiveSegmentWriteMode.Mapped"/>).</summary>
    public static ActiveSegmentWriteMode ActiveSegmentWrite { get; set; } = new PartitionLogOptions().ActiveSegmentWrite;

    /// <summary>
    /// The engine's defaults (64 MiB segments, <see cref="PreallocationMode.Auto"/>, inline fsync for a single appender),
    /// except that an append waits at the unflushed-bytes bound instead of failing.
    /// </summary>
    public static PartitionLogOptions Options(string root, FlushPolicy policy) => new()
    {
        DataRoot = root,
        FlushPolicy = policy,
        BackpressureMode = BackpressureMode.Wait,
        ActiveSegmentWrite = ActiveSegmentWrite,
    };

    public static Task<PartitionLog> OpenAsync(string root, FlushPolicy policy) => PartitionLog.OpenAsync(LogName, PartitionName, Options(root, policy));

    public static string PolicyName(FlushPolicy policy) => policy.Kind switch
    {
        FlushPolicyKind.Batched => $"Batched({policy.Records})",
        FlushPolicyKind.Periodic => $"Periodic({policy.Interval.TotalMilliseconds:0} ms)",
        FlushPolicyKind.BatchedOrPeriodic => $"BatchedOrPeriodic({policy.Records}, {policy.Interval.TotalMilliseconds:0} ms)",
        _ => policy.Kind.ToString(),
    };
}

/// <summary>
/// <c>appenders</c> concurrent appender tasks (one <see cref="Task.Run(Func{Task})"/> each, since appends complete
/// synchronously when they can) append for the length of a slice. Under a policy that does not wait for durability the
/// slice ends with <see cref="PartitionLog.FlushAsync"/>, so every policy is timed until its records are durable.
/// </summary>
internal sealed class EngineAppendSubject : ISubject
{
    private readonly PartitionLog _log;
    private readonly FlushPolicy _policy;
    private readonly int _appenders;
    private readonly ReadOnlyMemory<byte> _payload;
    private readonly TimeSpan _slice;

    private EngineAppendSubject(PartitionLog log, FlushPolicy policy, int appenders, byte[] payload, TimeSpan slice)
    {
        _log = log;
        _policy = policy;
        _appenders = appenders;
        _payload = payload;
        _slice = slice;
    }

    public string Name => $"ours {Engine.PolicyName(_policy)} x{_appenders}";

    public static async Task<EngineAppendSubject> OpenAsync(string root, FlushPolicy policy, int appenders, byte[] payload, TimeSpan slice) =>
        new(await Engine.OpenAsync(root, policy), policy, appenders, payload, slice);

    public async Task<Sample> RunSliceAsync()
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = Sample.DeadlineAfter(_slice);
        var tasks = new Task<long>[_appenders];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Run(() => AppendUntilAsync(deadline));
        }

        var counts = await Task.WhenAll(tasks);
        if (!_policy.WaitsForDurability)
        {
            await _log.FlushAsync();
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        long records = 0;
        foreach (var c in counts)
        {
            records += c;
        }

        return new Sample(records, records * _payload.Length, elapsed);
    }

    public ValueTask DisposeAsync() => _log.CloseAsync(seal: false);

    private async Task<long> AppendUntilAsync(long deadline)
    {
        long n = 0;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await _log.AppendAsync(_payload);
            n++;
        }

        return n;
    }
}

/// <summary>
/// One appender task appends a fixed number of records (one <see cref="PartitionLog.AppendAsync(ReadOnlyMemory{byte}, long?, CancellationToken)"/>
/// per record, or <see cref="PartitionLog.AppendBatchAsync(IReadOnlyList{ReadOnlyMemory{byte}}, long?, CancellationToken)"/>
/// per batch), then <see cref="PartitionLog.FlushAsync"/>; timed until the flush completes.
/// </summary>
internal sealed class EngineVolumeSubject : ISubject
{
    private readonly PartitionLog _log;
    private readonly FlushPolicy _policy;
    private readonly ReadOnlyMemory<byte> _payload;
    private readonly long _records;
    private readonly ReadOnlyMemory<byte>[]? _batch;

    private EngineVolumeSubject(PartitionLog log, FlushPolicy policy, byte[] payload, long records, int batch)
    {
        _log = log;
        _policy = policy;
        _payload = payload;
        _records = records - (records % batch);
        _batch = batch > 1 ? Enumerable.Repeat<ReadOnlyMemory<byte>>(payload, batch).ToArray() : null;
    }

    public string Name => $"ours {Engine.PolicyName(_policy)} x1{(_batch is null ? "" : $", batches of {_batch.Length}")}";

    public static async Task<EngineVolumeSubject> OpenAsync(string root, FlushPolicy policy, byte[] payload, long records, int batch = 1) =>
        new(await Engine.OpenAsync(root, policy), policy, payload, records, batch);

    public async Task<Sample> RunSliceAsync()
    {
        var start = Stopwatch.GetTimestamp();
        await Task.Run(AppendAllAsync);
        await _log.FlushAsync();
        return new Sample(_records, _records * _payload.Length, Stopwatch.GetElapsedTime(start));
    }

    public ValueTask DisposeAsync() => _log.CloseAsync(seal: false);

    private async Task AppendAllAsync()
    {
        if (_batch is { } batch)
        {
            for (long i = 0; i < _records; i += batch.Length)
            {
                await _log.AppendBatchAsync(batch);
            }

            return;
        }

        for (long i = 0; i < _records; i++)
        {
            await _log.AppendAsync(_payload);
        }
    }
}

/// <summary>A partition filled once and scanned whole in each slice (warm page cache); the engine verifies every record checksum.</summary>
internal sealed class EngineScanSubject : ISubject
{
    private readonly PartitionLog _log;
    private readonly int _payloadSize;

    private EngineScanSubject(PartitionLog log, int payloadSize)
    {
        _log = log;
        _payloadSize = payloadSize;
    }

    public string Name => "ours Scan";

    public long Records => _log.LastId + 1;

    public static async Task<EngineScanSubject> CreateAsync(string root, byte[] payload, long records)
    {
        var log = await Engine.OpenAsync(root, FlushPolicy.Async);
        await Task.Run(async () =>
        {
            for (long i = 0; i < records; i++)
            {
                await log.AppendAsync(payload);
            }
        });
        await log.FlushAsync();
        return new EngineScanSubject(log, payload.Length);
    }

    public Task<Sample> RunSliceAsync() => Task.Run(() =>
    {
        var start = Stopwatch.GetTimestamp();
        long n = 0, bytes = 0, sum = 0;
        foreach (var record in _log.Scan(0, _log.LastId))
        {
            var span = record.Payload.Span;
            sum += span[0] + span[^1];
            bytes += span.Length;
            n++;
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        if (n != Records || bytes != n * _payloadSize || sum < 0)
        {
            throw new InvalidOperationException($"The engine scan saw {n} records and {bytes} bytes; {Records} records were written.");
        }

        return new Sample(n, bytes, elapsed);
    });

    public ValueTask DisposeAsync() => _log.CloseAsync(seal: false);
}
