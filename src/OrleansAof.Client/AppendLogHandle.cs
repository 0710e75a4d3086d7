using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace OrleansAof.Client;

/// <summary>
/// A log with <see cref="PartitionCount"/> partitions named <c>0</c> to <c>N-1</c>. Records with the same key always go
/// to the same partition (a stable hash of the key's UTF-8 bytes), so their order is kept. Errors are the typed
/// exceptions of <c>OrleansAof</c>; when a partition's silo cannot be reached the call fails with the retryable
/// <see cref="PartitionUnavailableException"/>.
/// </summary>
public sealed class AppendLogHandle
{
    /// <summary>How many partitions' grain references a handle keeps (the rest are looked up per call).</summary>
    private const int MaxCachedPartitions = 1024;

    private readonly IGrainFactory _grains;
    private readonly AppendLogClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (string Key, IPartitionGrain Grain)> _targets = new(StringComparer.Ordinal);

    internal AppendLogHandle(IGrainFactory grains, string name, int partitionCount, AppendLogClientOptions options, TimeProvider time)
    {
        _grains = grains;
        Name = name;
        PartitionCount = partitionCount;
        _options = options;
        _time = time;
    }

    /// <summary>The log's name.</summary>
    public string Name { get; }

    /// <summary>How many partitions the log has.</summary>
    public int PartitionCount { get; }

    /// <summary>The partition that <paramref name="key"/> routes to.</summary>
    public string PartitionFor(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return PartitionName((int)(StableHash(key) % (uint)PartitionCount));
    }

    /// <summary>The name of partition number <paramref name="index"/>.</summary>
    public string PartitionName(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, PartitionCount);
        return index.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The grain of <paramref name="partition"/>, for calls this handle does not wrap.</summary>
    public IPartitionGrain Partition(string partition) => Target(partition).Grain;

    /// <summary>
    /// The grain key and reference of <paramref name="partition"/>, kept for the next call. An invalid name (null too)
    /// throws <see cref="InvalidPartitionNameException"/>, as <see cref="PartitionKey.Format"/> does.
    /// </summary>
    private (string Key, IPartitionGrain Grain) Target(string partition)
    {
        if (partition is not null && _targets.TryGetValue(partition, out var target))
        {
            return target;
        }

        var key = PartitionKey.Format(Name, partition!);
        target = (key, _grains.GetGrain<IPartitionGrain>(key));
        if (_targets.Count < MaxCachedPartitions)
        {
            _targets.TryAdd(partition!, target); // Format accepted it, so it is not null
        }

        return target;
    }

    /// <summary>Appends one record to the partition of <paramref name="key"/>.</summary>
    public Task<AppendAck> AppendAsync(string key, byte[] payload, long? expectedLastId = null) =>
        AppendToPartitionAsync(PartitionFor(key), payload, expectedLastId);

    /// <summary>Appends one record to <paramref name="partition"/>.</summary>
    public Task<AppendAck> AppendToPartitionAsync(string partition, byte[] payload, long? expectedLastId = null, ProducerStamp? stamp = null) =>
        AppendCoreAsync(Target(partition), partition, payload, null, expectedLastId, stamp);

    /// <summary>Appends a batch to <paramref name="partition"/> in one write (consecutive ids).</summary>
    public Task<AppendAck> AppendBatchAsync(string partition, RecordPayloads payloads, long? expectedLastId = null, ProducerStamp? stamp = null) =>
        AppendCoreAsync(Target(partition), partition, null, payloads, expectedLastId, stamp);

    /// <summary>
    /// One append call (a record, or a batch when <paramref name="payloads"/> is set) inside its client span, with errors
    /// translated as <see cref="ClientErrors.Translate"/> says: one state machine per call. The partition's name was
    /// validated by <see cref="Target"/> before the call, so an invalid one throws at once, not in the task.
    /// </summary>
    private async Task<AppendAck> AppendCoreAsync((string Key, IPartitionGrain Grain) target, string partition, byte[]? payload, RecordPayloads? payloads, long? expectedLastId, ProducerStamp? stamp)
    {
        var (key, grain) = target;
        using var activity = AppendLogTelemetry.Start(AppendLogTelemetry.ClientAppendSpan, ActivityKind.Client, Name, partition);
        activity?.SetTag("aof.records", payloads?.Count ?? 1);
        activity?.SetTag("aof.bytes", payloads?.Buffer.Length ?? payload?.Length ?? 0);
        try
        {
            var call = payloads is not null ? grain.AppendBatchAsync(payloads, expectedLastId, stamp) : grain.AppendAsync(payload!, expectedLastId, stamp);
            var ack = await call;
            AppendLogTelemetry.Acked(activity, ack);
            return ack;
        }
        catch (Exception e)
        {
            var translated = ClientErrors.Translate(e, key, isAppend: true);
            AppendLogTelemetry.Failed(activity, translated ?? e);
            if (translated is not null)
            {
                throw translated;
            }

            throw;
        }
    }

    /// <summary>
    /// Reads from <paramref name="partition"/> upward from <paramref name="fromId"/>. While the partition's owner is down
    /// (<see cref="PartitionUnavailableException"/>), archived records are still served from the archive by any silo
    /// (<see cref="AppendLogClientOptions.ReadArchiveWhenUnavailable"/>); records that exist only on the owner's disk raise
    /// the original exception. Records that live only in the archive (evicted from the owner's disk) raise the retryable
    /// <see cref="ArchiveUnavailableException"/> while the archive cannot be reached.
    /// </summary>
    public async Task<LogRecordBatch> ReadAsync(string partition, long fromId, int maxRecords = 1000, long maxBytes = 4 * 1024 * 1024, bool includeUndurable = false)
    {
        var (key, grain) = Target(partition);
        using var activity = AppendLogTelemetry.Start(AppendLogTelemetry.ClientReadSpan, ActivityKind.Client, Name, partition);
        activity?.SetTag("aof.first_id", fromId);
        try
        {
            var batch = await ClientErrors.Guard(grain.ReadAsync(fromId, maxRecords, maxBytes, includeUndurable), key);
            activity?.SetTag("aof.records", batch.Count);
            return batch;
        }
        catch (PartitionUnavailableException unavailable) when (_options.ReadArchiveWhenUnavailable)
        {
            var archived = await ReadArchiveAsync(key, fromId, maxRecords, maxBytes);
            if (archived is { Count: > 0 })
            {
                activity?.SetTag("aof.records", archived.Count);
                activity?.SetTag("aof.from_archive", true);
                return archived;
            }

            AppendLogTelemetry.Failed(activity, unavailable);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(unavailable);
            throw;
        }
        catch (Exception e)
        {
            AppendLogTelemetry.Failed(activity, e);
            throw;
        }
    }

    /// <summary>Archived records served by any silo, or null when none can (no archive, nothing archived there, the archive is unavailable too).</summary>
    private async Task<LogRecordBatch?> ReadArchiveAsync(string key, long fromId, int maxRecords, long maxBytes)
    {
        try
        {
            return await ClientErrors.Guard(_grains.GetGrain<IArchiveReaderGrain>(key).ReadAsync(fromId, maxRecords, maxBytes), key);
        }
        catch (Exception e) when (e is PartitionUnavailableException or ArchiveUnavailableException)
        {
            return null;
        }
    }

    /// <summary>A snapshot of <paramref name="partition"/>.</summary>
    public Task<PartitionStatus> GetInfoAsync(string partition)
    {
        var (key, grain) = Target(partition);
        return ClientErrors.Guard(grain.GetInfoAsync(), key);
    }

    /// <summary>
    /// Follows <paramref name="partition"/> from <paramref name="fromId"/>: every durable record in order, then each new
    /// one as it becomes durable (a long poll, no stream needed), until <paramref name="cancellationToken"/> is cancelled.
    /// Resume after a restart by passing the id after the last one handled. An unavailable partition is retried.
    /// A range of ids that were acknowledged but are lost (no local file and no archived object holds them, see
    /// 'aof verify') ends the tail with <see cref="RecordsMissingException"/>; its <see cref="RecordsMissingException.NextId"/>
    /// is where to resume if skipping the lost range is acceptable. It is never skipped silently.
    /// </summary>
    public async IAsyncEnumerable<LogRecord> TailAsync(string partition, long fromId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var batch in TailBatchesAsync(partition, fromId, cancellationToken))
        {
            for (var i = 0; i < batch.Count; i++)
            {
                yield return batch[i];
            }
        }
    }

    /// <summary>Like <see cref="TailAsync"/>, one read batch at a time (fewer objects at high rates).</summary>
    public async IAsyncEnumerable<LogRecordBatch> TailBatchesAsync(string partition, long fromId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var key = PartitionKey.Format(Name, partition);
        var grain = _grains.GetGrain<IPartitionGrain>(key);
        var next = fromId;
        while (!cancellationToken.IsCancellationRequested)
        {
            LogRecordBatch? batch = null;
            try
            {
                batch = await ReadAsync(partition, next, _options.TailBatchRecords).WaitAsync(cancellationToken);
                if (batch.Count == 0)
                {
                    await ClientErrors.Guard(grain.WaitForTailAsync(next - 1, _options.TailPollWait), key).WaitAsync(cancellationToken);
                    continue;
                }
            }
            catch (PartitionUnavailableException)
            {
                await Task.Delay(_options.TailRetryDelay, _time, cancellationToken);
                continue;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }

            next = batch.NextId;
            yield return batch;
        }
    }

    /// <summary>A batching, idempotent producer for this log.</summary>
    public LogProducer CreateProducer(LogProducerOptions? options = null) => new(this, options ?? new LogProducerOptions(), _time);

    /// <summary>FNV-1a (32-bit) of the key's UTF-8 bytes: the same in every process and version.</summary>
    internal static uint StableHash(string key)
    {
        var hash = 2166136261u;
        var bytes = Encoding.UTF8.GetBytes(key);
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= 16777619u;
        }

        return hash;
    }
}
