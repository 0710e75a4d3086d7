using OrleansAof.Server.Replication;

namespace OrleansAof.Server.Replicated;

/// <summary>
/// One replica of a replicated partition on this silo: the partition's log opened as a replica log
/// (<see cref="EngineReplicaLogStore"/>) and its <see cref="Replica"/>, driven by the grains. Every step of the
/// protocol's state machines (the replica's, and the <see cref="Leader"/> or <see cref="Candidate"/> of a partition grain
/// on this silo, which write through the same replica) runs under one gate, on the thread pool (the store does blocking
/// file I/O, which never runs on a grain's scheduler).
/// </summary>
/// <remarks>
/// Group commit: a leader's append, or a follower's accepted batch, marks the log dirty; one flush loop makes everything
/// written so far durable in one engine flush, then answers every batch the flush covered (the reply a flush produces is
/// cumulative: it reports how far the log is durable and matching). Appends that arrive during a flush go to the next.
/// </remarks>
internal sealed class ReplicaNode : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly EngineReplicaLogStore _store;
    private readonly List<(string From, TaskCompletionSource<AppendReply?> Reply)> _waiting = [];
    private readonly List<Outgoing> _flushOutbox = [];
    private readonly List<Acknowledgement> _flushAcks = [];
    private bool _dirty;
    private bool _flushing;
    private bool _disposed;

    public ReplicaNode(string key, EngineReplicaLogStore store, Replica replica)
    {
        Key = key;
        _store = store;
        Replica = replica;
    }

    /// <summary>The partition's key, <c>{log}/{partition}</c>.</summary>
    public string Key { get; }

    /// <summary>The replica (touch it only inside <see cref="RunAsync{T}"/>).</summary>
    public Replica Replica { get; }

    /// <summary>The engine's partition under the replica log (reads are safe outside the gate: the engine orders them).</summary>
    public Storage.PartitionLog Log => _store.Partition;

    /// <summary>The leader writing through this replica, when a partition grain on this silo leads (set and read inside the gate).</summary>
    public ILeaderHost? LeaderHost { get; set; }

    /// <summary>Runs <paramref name="step"/> under the gate on the thread pool.</summary>
    public Task<T> RunAsync<T>(Func<ReplicaNode, T> step) => Task.Run(async () =>
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return step(this);
        }
        finally
        {
            _gate.Release();
        }
    });

    /// <summary>Marks the log written; the flush loop makes it durable. Call inside the gate.</summary>
    public void MarkDirty()
    {
        _dirty = true;
        if (!_flushing)
        {
            _flushing = true;
            _ = Task.Run(FlushLoopAsync);
        }
    }

    /// <summary>The silo of the last leader that sent this replica a batch (for the proactive failover when it dies).</summary>
    public string? LastLeader { get; private set; }

    /// <summary>A leader's batch: accepted batches are answered after the flush that makes them durable; refusals at once.</summary>
    public Task<AppendReply?> AppendAsync(string from, AppendRequest request)
        => AcceptAsync(from, (replica, outbox) => replica.OnAppend(from, request, outbox));

    /// <summary>A leader's whole sealed segment (catch-up): installed, then answered after the flush like a batch.</summary>
    public Task<AppendReply?> InstallSegmentAsync(string from, InstallSegmentRequest request)
        => AcceptAsync(from, (replica, outbox) => replica.OnInstallSegment(from, request, outbox));

    private async Task<AppendReply?> AcceptAsync(string from, Action<Replica, List<Outgoing>> handle)
    {
        LastLeader = from;
        var reply = new TaskCompletionSource<AppendReply?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var refusal = await RunAsync(node =>
        {
            var outbox = new List<Outgoing>(1);
            handle(node.Replica, outbox);
            if (outbox.Count > 0)
            {
                return (AppendReply)outbox[0].Message;
            }

            node._waiting.Add((from, reply));
            node.MarkDirty();
            return null;
        }).ConfigureAwait(false);
        return refusal ?? await reply.Task.ConfigureAwait(false);
    }

    /// <summary>A candidate's fence (promise its epoch durably, flush, report the durable log end).</summary>
    public Task<FenceReply> FenceAsync(string from, FenceRequest request) => RunAsync(node =>
    {
        var outbox = new List<Outgoing>(1);
        node.Replica.OnFence(from, request, outbox);
        return (FenceReply)outbox[0].Message;
    });

    /// <summary>A candidate's read of this replica's log.</summary>
    public Task<ReadLogReply> ReadLogAsync(string from, ReadLogRequest request) => RunAsync(node =>
    {
        var outbox = new List<Outgoing>(1);
        node.Replica.OnReadLog(from, request, outbox);
        return (ReadLogReply)outbox[0].Message;
    });

    private async Task FlushLoopAsync()
    {
        while (true)
        {
            List<(string From, TaskCompletionSource<AppendReply?> Reply)> covered;
            Exception? failure = null;
            await _gate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (!_dirty || _disposed)
                {
                    _flushing = false;
                    covered = [.. _waiting];
                    _waiting.Clear();
                    foreach (var (_, reply) in covered)
                    {
                        reply.TrySetResult(null);
                    }

                    return;
                }

                _dirty = false;
                covered = [.. _waiting];
                _waiting.Clear();
                _flushOutbox.Clear();
                _flushAcks.Clear();
                try
                {
                    Replica.Flush(_flushOutbox);
                    LeaderHost?.OnLocalFlush(_flushAcks);
                }
                catch (Exception e)
                {
                    failure = e;
                }
            }
            finally
            {
                _gate.Release();
            }

            foreach (var (from, reply) in covered)
            {
                if (failure is not null)
                {
                    reply.TrySetException(failure);
                    continue;
                }

                AppendReply? answer = null;
                foreach (var outgoing in _flushOutbox)
                {
                    if (outgoing.To == from && outgoing.Message is AppendReply r)
                    {
                        answer = r;
                    }
                }

                reply.TrySetResult(answer);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await _store.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
