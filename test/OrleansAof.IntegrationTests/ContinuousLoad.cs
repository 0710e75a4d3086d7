using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FluentAssertions;
using OrleansAof.Client;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.IntegrationTests;

/// <summary>
/// One writer per partition appending continuously through the client API, one record at a time, each stamped with
/// (producer, sequence number) so that a retry after an unknown outcome is never written twice. Record <c>s</c> of
/// partition <c>p</c> always has the payload <see cref="Payload"/>(p, s); a failed append is retried with the same stamp
/// until it is acknowledged. So the log of a partition must be exactly the payloads 0, 1, 2, ... in order, ids equal to
/// sequence numbers: any lost, duplicated or reordered record shows up in <see cref="VerifyAsync"/>.
/// Every acknowledgement and every error is recorded with the time it happened.
/// </summary>
public sealed class ContinuousLoad : IAsyncDisposable
{
    private readonly AppendLogHandle _log;
    private readonly long _producerId = Random.Shared.NextInt64(1, long.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<string, PartitionWriter> _writers;
    private readonly TimeSpan _retryDelay;
    private Task[] _tasks = [];

    public ContinuousLoad(AppendLogHandle log, TimeSpan retryDelay)
    {
        _log = log;
        _retryDelay = retryDelay;
        _writers = Enumerable.Range(0, log.PartitionCount).Select(log.PartitionName).ToDictionary(p => p, p => new PartitionWriter(p), StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> Partitions => _writers.Keys;

    /// <summary>Time since the load was created (the clock of <see cref="AppendError.At"/>).</summary>
    public TimeSpan Now => _clock.Elapsed;

    public PartitionWriter this[string partition] => _writers[partition];

    public long TotalAcknowledged => _writers.Values.Sum(w => (long)w.AcknowledgedCount);

    /// <summary>The payload of record <paramref name="sequence"/> of <paramref name="partition"/>: 16 to 1,039 bytes derived from both.</summary>
    public static byte[] Payload(string partition, int sequence)
    {
        var seed = SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{partition}:{sequence}")));
        var bytes = new byte[16 + (BitConverter.ToUInt16(seed) % 1024)];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = seed[i % seed.Length];
        }

        return bytes;
    }

    public void Start() => _tasks = [.. _writers.Values.Select(w => Task.Run(() => RunAsync(w)))];

    /// <summary>Stops the writers: each finishes the call it is in; a record that was never acknowledged is remembered as unresolved.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Wait.ForAsync(Task.WhenAll(_tasks), "every writer to finish its current append after the stop", TimeSpan.FromSeconds(60));
    }

    /// <summary>Waits until every partition in <paramref name="partitions"/> (default: all) has at least <paramref name="count"/> more acknowledgements than in <paramref name="baseline"/>.</summary>
    public Task WaitForProgressAsync(int count, string why, IReadOnlyDictionary<string, int>? baseline = null, IEnumerable<string>? partitions = null, TimeSpan? timeout = null)
    {
        var targets = (partitions ?? _writers.Keys).Select(p => (Writer: _writers[p], Goal: (baseline?.GetValueOrDefault(p) ?? 0) + count)).ToArray();
        return Wait.UntilAsync(
            () => targets.All(t => t.Writer.AcknowledgedCount >= t.Goal),
            () => $"{why}: every partition has {count} more acknowledged appends (short: {string.Join(", ", targets.Where(t => t.Writer.AcknowledgedCount < t.Goal).Select(t => $"{t.Writer.Partition} at {t.Writer.AcknowledgedCount}/{t.Goal}"))}; last errors: {string.Join(" | ", _writers.Values.SelectMany(w => w.Errors).OrderBy(e => e.At).TakeLast(3).Select(e => e.ToString()))})",
            timeout ?? TimeSpan.FromSeconds(60));
    }

    /// <summary>The acknowledgement count of every partition right now.</summary>
    public Dictionary<string, int> Snapshot() => _writers.ToDictionary(w => w.Key, w => w.Value.AcknowledgedCount, StringComparer.Ordinal);

    /// <summary>
    /// Reads every partition back from id 0 and checks that it holds exactly the writer's records in order: every
    /// acknowledged record at its acknowledged id with identical bytes, ids dense, no duplicate, nothing else except
    /// possibly the one record that was in flight when the load stopped. Returns the number of acknowledged records checked.
    /// </summary>
    public async Task<long> VerifyAsync()
    {
        long checkedRecords = 0;
        foreach (var writer in _writers.Values)
        {
            var records = new List<LogRecord>();
            for (var next = 0L; ;)
            {
                var batch = await _log.ReadAsync(writer.Partition, next, 5000, 16 * 1024 * 1024);
                if (batch.Count == 0)
                {
                    break;
                }

                records.AddRange(batch.Records);
                next = batch.NextId;
            }

            writer.Anomalies.Should().BeEmpty("every acknowledgement of partition {0} is one durable record, in order", writer.Partition);
            var acknowledged = writer.Acknowledged();
            var expectedCount = acknowledged.Count + (writer.UnresolvedSequence is null ? 0 : 1);
            records.Count.Should().BeOneOf(
                [acknowledged.Count, expectedCount],
                "partition {0} holds its {1} acknowledged records, plus at most the one in flight at the stop", writer.Partition, acknowledged.Count);
            for (var i = 0; i < records.Count; i++)
            {
                records[i].Id.Should().Be(i, "ids of partition {0} are dense from 0", writer.Partition);
                records[i].Payload.ToArray().Should().Equal(Payload(writer.Partition, i), "record {0} of partition {1} is the writer's record {0}: nothing lost, duplicated or reordered", i, writer.Partition);
            }

            foreach (var (id, sequence) in acknowledged)
            {
                id.Should().Be(sequence, "record {0} of partition {1} was acknowledged with the id of its place in the log", sequence, writer.Partition);
            }

            checkedRecords += acknowledged.Count;
        }

        return checkedRecords;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await Task.WhenAll(_tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        _stop.Dispose();
    }

    private async Task RunAsync(PartitionWriter writer)
    {
        for (var sequence = 0; ; sequence++)
        {
            var payload = Payload(writer.Partition, sequence);
            while (true)
            {
                if (_stop.IsCancellationRequested)
                {
                    writer.UnresolvedSequence = writer.Attempted(sequence) ? sequence : null;
                    return;
                }

                var started = _clock.Elapsed;
                try
                {
                    writer.MarkAttempt(sequence);
                    var ack = await _log.AppendToPartitionAsync(writer.Partition, payload, stamp: new ProducerStamp(_producerId, sequence));
                    writer.Acknowledge(ack, sequence, _clock.Elapsed);
                    break;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    writer.Fail(new AppendError(writer.Partition, sequence, started, _clock.Elapsed - started, e));
                }

                try
                {
                    await Task.Delay(_retryDelay, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    // Stopping: the loop records the attempt as unresolved.
                }
            }
        }
    }
}

/// <summary>What one partition's writer saw.</summary>
public sealed class PartitionWriter(string partition)
{
    private readonly Lock _sync = new();
    private readonly List<(long Id, int Sequence)> _acknowledged = [];
    private readonly List<AppendError> _errors = [];
    private readonly List<TimeSpan> _ackTimes = [];
    private readonly List<string> _anomalies = [];
    private int _attempted = -1;

    public string Partition { get; } = partition;

    /// <summary>The sequence number whose append was tried but never acknowledged when the load stopped.</summary>
    public int? UnresolvedSequence { get; internal set; }

    public int AcknowledgedCount
    {
        get
        {
            lock (_sync)
            {
                return _acknowledged.Count;
            }
        }
    }

    public IReadOnlyList<AppendError> Errors
    {
        get
        {
            lock (_sync)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>Acknowledgements that were not one durable record in sequence order (checked by <see cref="ContinuousLoad.VerifyAsync"/>).</summary>
    public IReadOnlyList<string> Anomalies
    {
        get
        {
            lock (_sync)
            {
                return [.. _anomalies];
            }
        }
    }

    public List<(long Id, int Sequence)> Acknowledged()
    {
        lock (_sync)
        {
            return [.. _acknowledged];
        }
    }

    /// <summary>How many acknowledgements arrived at or after <paramref name="time"/>.</summary>
    public int AcknowledgedSince(TimeSpan time)
    {
        lock (_sync)
        {
            return _ackTimes.Count(t => t >= time);
        }
    }

    internal bool Attempted(int sequence) => Volatile.Read(ref _attempted) == sequence;

    internal void MarkAttempt(int sequence) => Volatile.Write(ref _attempted, sequence);

    internal void Acknowledge(AppendAck ack, int sequence, TimeSpan at)
    {
        lock (_sync)
        {
            if (ack.Count != 1 || !ack.IsDurable || _acknowledged.Count != sequence)
            {
                _anomalies.Add(string.Create(CultureInfo.InvariantCulture, $"partition {Partition} seq {sequence}: acknowledged {ack} after {_acknowledged.Count} acknowledgements (expected one durable record, in order)"));
            }

            _acknowledged.Add((ack.FirstId, sequence));
            _ackTimes.Add(at);
        }
    }

    internal void Fail(AppendError error)
    {
        lock (_sync)
        {
            _errors.Add(error);
        }
    }
}

/// <summary>A failed append: when the call started (load clock), how long it took to fail, and the exception.</summary>
public sealed record AppendError(string Partition, int Sequence, TimeSpan At, TimeSpan Duration, Exception Exception)
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"partition {Partition} seq {Sequence} at {At.TotalSeconds:0.000} s failed after {Duration.TotalMilliseconds:0} ms: {Exception.GetType().Name}: {FirstLine(Exception.Message)}");

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd();
}
