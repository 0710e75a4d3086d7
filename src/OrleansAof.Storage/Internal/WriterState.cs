using Microsoft.Extensions.Logging;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// The state a partition's writer and its group commit share, guarded by <see cref="Sync"/> (the write lock): ids, the
/// unflushed counts, the flush policy, open/faulted/closed, and the gates that appends wait on for durability (the
/// pending gate completes with the flush that covers the records written since the last one; the in-flight gate with the
/// fsync running now). Sections under the lock are short: no fsync is ever made under it.
/// </summary>
/// <remarks>Fields, not properties: <see cref="LastId"/>, <see cref="DurableId"/> and the counts are read lock-free with <see cref="Volatile"/>.</remarks>
internal sealed partial class WriterState
{
    /// <summary>The write lock.</summary>
    public readonly Lock Sync = new();

    public long LastId;
    public long DurableId;
    public long LastTimestampMicros;
    public long PendingRecords;
    public long UnflushedBytes;
    public FlushPolicy Policy;
    public PartitionState State = PartitionState.Open;
    public string? FaultReason;
    public bool Closing;
    public TaskCompletionSource PendingGate = NewGate();
    public TaskCompletionSource? InflightGate;
    public long InflightLastId = -1;

    /// <summary>Set while a seal runs (between taking the active segment and publishing the next one); appends wait for it.</summary>
    public TaskCompletionSource? SealDone;

    private readonly string _partition;
    private readonly ILogger _logger;
    private TaskCompletionSource _durableAdvanced = NewGate();
    private Exception? _fault;

    public WriterState(string partition, ILogger logger, long lastId, long lastTimestampMicros, FlushPolicy policy, string? faultReason)
    {
        _partition = partition;
        _logger = logger;
        LastId = lastId;
        DurableId = lastId;
        LastTimestampMicros = lastTimestampMicros;
        Policy = policy;
        if (faultReason is not null)
        {
            State = PartitionState.Faulted;
            FaultReason = faultReason;
        }
    }

    /// <summary><see cref="State"/> read under the lock.</summary>
    public PartitionState CurrentState
    {
        get
        {
            lock (Sync)
            {
                return State;
            }
        }
    }

    /// <summary><see cref="FaultReason"/> read under the lock.</summary>
    public string? CurrentFaultReason
    {
        get
        {
            lock (Sync)
            {
                return FaultReason;
            }
        }
    }

    public static TaskCompletionSource NewGate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What a caller waits on for everything written so far to be durable. Under the lock.</summary>
    public Task FlushWaitLocked() => PendingRecords > 0 ? PendingGate.Task : InflightGate?.Task ?? Task.CompletedTask;

    /// <summary>What a caller waits on for id <paramref name="id"/> (written, not durable) to be durable. Under the lock.</summary>
    public Task DurableWaitLocked(long id) => InflightGate is { } inflight && InflightLastId >= id ? inflight.Task : PendingGate.Task;

    /// <summary>Starts a flush covering everything written through <paramref name="lastId"/>: returns its gate. Under the lock.</summary>
    public TaskCompletionSource BeginFlushLocked(long lastId)
    {
        var gate = PendingGate;
        PendingGate = NewGate();
        InflightGate = gate;
        InflightLastId = lastId;
        PendingRecords = 0;
        UnflushedBytes = 0;
        return gate;
    }

    /// <summary>Records the fsync of a flush through <paramref name="lastId"/> (its gate is completed by the caller, outside the lock).</summary>
    public void EndFlushLocked(long lastId)
    {
        Volatile.Write(ref DurableId, Math.Max(DurableId, lastId));
        InflightGate = null;
        InflightLastId = -1;
        SignalDurableAdvancedLocked();
    }

    /// <summary>Records a seal: everything through <paramref name="lastId"/> is durable. Under the lock.</summary>
    public void SealedLocked(long lastId)
    {
        Volatile.Write(ref DurableId, lastId);
        PendingRecords = 0;
        UnflushedBytes = 0;
        var gate = PendingGate;
        PendingGate = NewGate();
        gate.TrySetResult();
    }

    public void SignalDurableAdvancedLocked()
    {
        var advanced = _durableAdvanced;
        _durableAdvanced = NewGate();
        advanced.TrySetResult();
    }

    /// <summary>Stops the partition after an I/O error (fail-stop): every waiter and every later append fails. Under the lock.</summary>
    public void FaultLocked(Exception? cause, string reason)
    {
        if (State != PartitionState.Open)
        {
            return;
        }

        State = PartitionState.Faulted;
        FaultReason = reason;
        var error = new PartitionFaultedException(_partition, reason, cause);
        _fault = error;
        PendingGate.TrySetException(error);
        InflightGate?.TrySetException(error);
        PendingGate = NewGate();
        PendingGate.TrySetException(error);
        _ = PendingGate.Task.Exception;
        SignalDurableAdvancedLocked();
        LogFaulted(_logger, _partition, reason, cause);
    }

    /// <summary>The fault as the exception to throw after <see cref="FaultLocked"/>.</summary>
    public PartitionFaultedException FaultedError(Exception cause) => new(_partition, FaultReason!, cause);

    /// <summary>Throws unless appends are allowed. Under the lock.</summary>
    public void ThrowIfNotWritable()
    {
        if (Closing || State == PartitionState.Closed)
        {
            throw new ObjectDisposedException(nameof(PartitionLog), $"Partition '{_partition}' is closed.");
        }

        if (State == PartitionState.Faulted)
        {
            throw new PartitionFaultedException(_partition, FaultReason!, _fault?.InnerException);
        }
    }

    /// <summary>Marks the partition closed and fails what still waits for durability. Under the lock.</summary>
    public void CloseLocked()
    {
        var closed = new PartitionFaultedException(_partition, "the partition was closed");
        PendingGate.TrySetException(closed);
        InflightGate?.TrySetException(closed);
        State = PartitionState.Closed;
    }

    /// <summary>Wakes the waiters of <see cref="WaitForDurableAdvanceAsync"/> for the last time (after the close).</summary>
    public void SignalClosed() => _durableAdvanced.TrySetResult();

    /// <inheritdoc cref="PartitionLog.WaitForDurableAsync"/>
    public async ValueTask WaitForDurableAsync(long id, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (Sync)
            {
                if (id <= DurableId)
                {
                    return;
                }

                if (id > LastId)
                {
                    throw new InvalidRangeException($"Id {id} is not written yet; the last id is {LastId}.");
                }

                ThrowIfNotWritable();
                wait = DurableWaitLocked(id);
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc cref="PartitionLog.WaitForDurableAdvanceAsync"/>
    public async ValueTask<long> WaitForDurableAdvanceAsync(long knownDurableId, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (Sync)
            {
                if (DurableId > knownDurableId || State == PartitionState.Closed)
                {
                    return DurableId;
                }

                wait = _durableAdvanced.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(2, LogLevel.Error, "Partition {Partition} faulted: {Reason}")]
    private static partial void LogFaulted(ILogger logger, string partition, string reason, Exception? exception);
}
