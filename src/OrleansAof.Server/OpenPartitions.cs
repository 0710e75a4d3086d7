using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansAof.Storage;

namespace OrleansAof.Server;

/// <summary>
/// The partitions open on this silo. At silo stop it flushes every one of them before grains are deactivated (which
/// closes them); when the silo's services are disposed without a deactivation (a killed in-process silo) it closes
/// whatever is still open so the lock files are released.
/// </summary>
internal sealed partial class OpenPartitions(ILogger<OpenPartitions> logger) : IAsyncDisposable
{
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

    internal void Add(string key, PartitionLog log) => _open[key] = log;

    internal void Remove(string key, PartitionLog log) => _open.TryRemove(KeyValuePair.Create(key, log));

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

    [LoggerMessage(20, LogLevel.Warning, "Partition {Partition}: an earlier activation ({Activation}) on this silo still holds it; asking it to deactivate")]
    private static partial void LogDeactivatingPrevious(ILogger logger, string partition, string activation);

    [LoggerMessage(1, LogLevel.Warning, "Flushing partition {Log}/{Partition} at shutdown failed")]
    private static partial void LogFlushFailed(ILogger logger, string log, string partition, Exception exception);

    [LoggerMessage(2, LogLevel.Information, "Flushed {Count} open partition(s) before shutdown")]
    private static partial void LogFlushedAll(ILogger logger, int count);
}
