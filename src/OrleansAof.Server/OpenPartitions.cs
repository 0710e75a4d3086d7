using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansAof.Storage;

namespace OrleansAof.Server;

/// <summary>
/// The partitions open on this silo. At silo stop it flushes every one of them before grains are deactivated (which
/// closes them); when the silo's services are disposed without a deactivation (a killed in-process silo) it closes
/// whatever is still open so the lock files are released. It also keeps the number of open partitions within
/// <see cref="AppendLogOptions.MaxOpenPartitions"/>: a partition opened beyond it asks the least recently used one
/// (each call to a partition's grain marks it used) to deactivate, which closes its files.
/// </summary>
internal sealed partial class OpenPartitions(ILogger<OpenPartitions> logger, IOptions<AppendLogOptions>? options = null) : IAsyncDisposable
{
    private readonly int _maxOpen = options?.Value.MaxOpenPartitions ?? 0;
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly Lock _evicting = new();
    private readonly ConcurrentDictionary<string, PartitionLog> _open = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IGrainContext> _holders = new(StringComparer.Ordinal);

    /// <summary>Whether the silo finished starting and has not begun to stop.</summary>
    public bool IsReady { get; internal set; }

    /// <summary>How many partitions are open.</summary>
    public int Count => _open.Count;

    /// <summary>The keys (<c>{log}/{partition}</c>) of the partitions open right now.</summary>
    internal ICollection<string> OpenKeys => _open.Keys;

    /// <summary>The partitions open right now, by key.</summary>
    internal IEnumerable<KeyValuePair<string, PartitionLog>> OpenLogs => _open;

    /// <summary>How many partitions were asked to close because more than <see cref="AppendLogOptions.MaxOpenPartitions"/> were open.</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    /// <summary>Open partitions that are not closing (at most <see cref="AppendLogOptions.MaxOpenPartitions"/> once each finished its first call).</summary>
    internal int LiveCount => Volatile.Read(ref _live);

    private long _evictions;
    private int _live;

    internal void Add(string key, PartitionLog log)
    {
        _open[key] = log;
        var slot = new Slot(key, log);
        Interlocked.Increment(ref _live);
        if (_slots.TryGetValue(key, out var previous))
        {
            MarkGone(previous);
        }

        _slots[key] = slot;
        CloseBeyondBound();
    }

    internal void Remove(string key, PartitionLog log)
    {
        _open.TryRemove(KeyValuePair.Create(key, log));
        if (_slots.TryGetValue(key, out var slot) && ReferenceEquals(slot.Log, log))
        {
            MarkGone(slot);
            _slots.TryRemove(KeyValuePair.Create(key, slot));
        }
    }

    /// <summary>
    /// Marks the partition <paramref name="key"/> used now; its grain calls this when a call ends, so that it is the last
    /// to close and, once its first call ended (it finished activating), may be closed.
    /// </summary>
    internal void Touch(string key)
    {
        if (_slots.TryGetValue(key, out var slot))
        {
            slot.LastUsed = Stopwatch.GetTimestamp();
            slot.Called = true;
            CloseBeyondBound();
        }
    }

    private void MarkGone(Slot slot)
    {
        if (Interlocked.Exchange(ref slot.Gone, 1) == 0)
        {
            Interlocked.Decrement(ref _live);
        }
    }

    private void CloseBeyondBound()
    {
        if (_maxOpen > 0 && Volatile.Read(ref _live) > _maxOpen)
        {
            CloseLeastRecentlyUsed();
        }
    }

    /// <summary>
    /// While more than <see cref="AppendLogOptions.MaxOpenPartitions"/> are open, asks the open partition used least
    /// recently to deactivate, leaving out those already closing and those whose first call has not ended (still
    /// activating: Orleans may not deactivate an activation that is still starting). One pass over the open partitions per
    /// partition closed, only beyond the bound: small next to the cost of opening one.
    /// </summary>
    private void CloseLeastRecentlyUsed()
    {
        List<(string Key, IGrainContext Activation)>? victims = null;
        lock (_evicting)
        {
            while (Volatile.Read(ref _live) > _maxOpen)
            {
                IGrainContext? victim = null;
                Slot? oldest = null;
                foreach (var (key, slot) in _slots)
                {
                    if (slot.Gone != 0 || !slot.Called || (oldest is not null && slot.LastUsed >= oldest.LastUsed) || !_holders.TryGetValue(key, out var holder))
                    {
                        continue;
                    }

                    oldest = slot;
                    victim = holder;
                }

                if (oldest is null || victim is null)
                {
                    break;
                }

                // Closing: never chosen again; a new activation of the partition adds a new slot.
                MarkGone(oldest);
                (victims ??= []).Add((oldest.Key, victim));
            }
        }

        foreach (var (key, activation) in victims ?? [])
        {
            Interlocked.Increment(ref _evictions);
            LogClosingLeastRecentlyUsed(logger, key, _maxOpen);
            activation.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "more than AppendLogOptions.MaxOpenPartitions partitions are open; the least recently used closes"), CancellationToken.None);
        }
    }

    /// <summary>
    /// Takes the right to open <paramref name="key"/> on this silo for <paramref name="activation"/>. Orleans may start
    /// a new activation while the previous one is still opening or closing the partition's files; the new one waits here
    /// until the previous one released them (<see cref="Release"/>). It may also start one while the previous one is
    /// still alive: after a silo failure the grain directory can lose the entry of an activation on a surviving silo.
    /// Such an orphan would keep the partition until it is collected as idle, so it is asked to deactivate (a
    /// duplicate activation), which closes the partition and releases it. False when the right is not given up within
    /// <paramref name="timeout"/>.
    /// </summary>
    internal async Task<bool> AcquireAsync(string key, IGrainContext activation, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var gate = _gates.GetOrAdd(key, static _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(TimeSpan.Zero, cancellationToken).ConfigureAwait(false))
        {
            if (_holders.TryGetValue(key, out var holder) && !ReferenceEquals(holder, activation))
            {
                LogDeactivatingPrevious(logger, key, holder.ActivationId.ToString());
                holder.Deactivate(new DeactivationReason(DeactivationReasonCode.DuplicateActivation, "a newer activation of the partition on this silo needs its files"), CancellationToken.None);
            }

            if (!await gate.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        _holders[key] = activation;
        return true;
    }

    /// <summary>Gives up the right taken with <see cref="AcquireAsync"/>.</summary>
    internal void Release(string key)
    {
        _holders.TryRemove(key, out _);
        if (_gates.TryGetValue(key, out var gate))
        {
            gate.Release();
        }
    }

    /// <summary>Flushes every open partition; returns how many were flushed.</summary>
    public async Task<int> FlushAllAsync(CancellationToken cancellationToken = default)
    {
        var flushed = 0;
        foreach (var log in _open.Values)
        {
            try
            {
                if (log.State == PartitionState.Open)
                {
                    await log.FlushAsync(cancellationToken);
                    flushed++;
                }
            }
            catch (Exception e) when (e is Storage.AppendLogException or ObjectDisposedException or OperationCanceledException)
            {
                LogFlushFailed(logger, log.Log, log.Partition, e);
            }
        }

        LogFlushedAll(logger, flushed);
        return flushed;
    }

    /// <summary>An open partition and when it was last used, for <see cref="CloseLeastRecentlyUsed"/>.</summary>
    private sealed class Slot(string key, PartitionLog log)
    {
        public string Key { get; } = key;

        public PartitionLog Log { get; } = log;

        /// <summary><see cref="Stopwatch.GetTimestamp"/> of the last call (or of the opening).</summary>
        public long LastUsed = Stopwatch.GetTimestamp();

        /// <summary>A call to the activation ended, so it finished activating.</summary>
        public volatile bool Called;

        /// <summary>1 once closed, closing, or replaced by a newer slot of the same key.</summary>
        public int Gone;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var log in _open.Values)
        {
            try
            {
                await log.CloseAsync(seal: false);
            }
            catch (Exception e) when (e is Storage.AppendLogException or ObjectDisposedException or IOException)
            {
                LogFlushFailed(logger, log.Log, log.Partition, e);
            }
        }

        _open.Clear();
        foreach (var gate in _gates.Values)
        {
            gate.Dispose();
        }
    }

    [LoggerMessage(21, LogLevel.Debug, "Partition {Partition}: closing it as the least recently used, more than {MaxOpen} partitions are open")]
    private static partial void LogClosingLeastRecentlyUsed(ILogger logger, string partition, int maxOpen);

    [LoggerMessage(20, LogLevel.Warning, "Partition {Partition}: an earlier activation ({Activation}) on this silo still holds it; asking it to deactivate")]
    private static partial void LogDeactivatingPrevious(ILogger logger, string partition, string activation);

    [LoggerMessage(1, LogLevel.Warning, "Flushing partition {Log}/{Partition} at shutdown failed")]
    private static partial void LogFlushFailed(ILogger logger, string log, string partition, Exception exception);

    [LoggerMessage(2, LogLevel.Information, "Flushed {Count} open partition(s) before shutdown")]
    private static partial void LogFlushedAll(ILogger logger, int count);
}
