using System.Globalization;
using Microsoft.Extensions.Logging;
using OrleansAof.Server.Ownership;
using OrleansAof.Server.Replication;

namespace OrleansAof.Server.Replicated;

/// <summary>
/// The leader side of a replicated partition, owned by the partition grain's activation on the leader's silo
/// (docs/replication.md, "The grain layer"): it runs the failover that makes this activation the leader of a new epoch
/// (compare-and-swap in the partition's record, fence a majority, adopt the most up-to-date log, commit the epoch start),
/// then takes appends, replicates them to the followers' <see cref="IPartitionReplicaGrain"/>s (pipelined, a bounded
/// number of batches in flight per follower), acknowledges what the commit point covers, and bounds every read at the
/// commit point. Every protocol step runs inside the local <see cref="ReplicaNode"/>'s gate.
/// </summary>
internal sealed partial class ReplicatedPartition : ILeaderHost, IAsyncDisposable
{
    /// <summary>Entries per replication batch.</summary>
    internal const int MaxBatch = 64;

    /// <summary>Batches in flight per follower.</summary>
    internal const int MaxInFlight = 4;

    private static readonly TimeSpan BusyHeartbeat = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan IdleHeartbeat = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(50);

    private readonly string _key;
    private readonly ReplicaNode _node;
    private readonly IGrainFactory _grains;
    private readonly AppendLogOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Link> _links = new(StringComparer.Ordinal);
    private readonly Dictionary<long, TaskCompletionSource> _waiters = [];
    private readonly Dictionary<long, (long Sequence, long FirstId, long LastId)> _producers = [];
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _serving = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _visibleAdvanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Leader? _leader;
    private Task? _pump;
    private long _visible = -1;

    private volatile bool _deposed;

    private ReplicatedPartition(string key, ReplicaNode node, ReplicationConfiguration configuration, IGrainFactory grains, AppendLogOptions options, TimeProvider time, ILogger logger)
    {
        _key = key;
        _node = node;
        Configuration = configuration;
        _grains = grains;
        _options = options;
        _time = time;
        _logger = logger;
        foreach (var replica in configuration.Replicas)
        {
            if (!string.Equals(replica, node.Replica.Name, StringComparison.Ordinal))
            {
                _links.Add(replica, new Link(replica, grains.GetGrain<IPartitionReplicaGrain>(ReplicaKey(key, replica))));
            }
        }
    }

    /// <summary>The configuration this activation leads (its epoch, replica set and this silo as leader).</summary>
    public ReplicationConfiguration Configuration { get; }

    /// <summary>The engine's partition under the local replica (reads only; bound them by <see cref="VisibleThroughId"/>).</summary>
    public Storage.PartitionLog Log => _node.Log;

    /// <summary>Records with ids up to this one are committed and may be shown to readers.</summary>
    public long VisibleThroughId => Interlocked.Read(ref _visible);

    /// <summary>Whether this leader learnt that a newer epoch exists (its activation should go; the next call fails over).</summary>
    public bool IsDeposed => _deposed;

    /// <summary>The replica grain key of <paramref name="partitionKey"/> on <paramref name="silo"/>.</summary>
    public static string ReplicaKey(string partitionKey, string silo) => string.Concat(partitionKey, "@", silo);

    /// <summary>
    /// Makes this silo the leader of a new epoch of <paramref name="key"/> and returns once that epoch serves (its epoch
    /// start is committed on a majority).
    /// </summary>
    /// <exception cref="PartitionUnavailableException">No majority answered within <see cref="AppendLogOptions.ReplicationQuorumTimeout"/>, another replica took over, or this replica may not lead; retry.</exception>
    public static async Task<ReplicatedPartition> StartAsync(
        string key, ReplicaNode node, IGrainFactory grains, AppendLogOptions options, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var deadline = time.GetTimestamp() + (long)(options.ReplicationQuorumTimeout.TotalSeconds * time.TimestampFrequency);
        var record = grains.GetGrain<IReplicationRecordGrain>(key);
        var current = await record.GetReplicationAsync().ConfigureAwait(false)
            ?? throw new PartitionUnavailableException(key, "its replication configuration is not recorded yet; retry");
        var next = await node.RunAsync(n => Candidate.Propose(current, n.Replica)).ConfigureAwait(false)
            ?? throw new PartitionUnavailableException(key, $"the replica on silo '{node.Replica.Name}' may not lead it (not in the replica set, or it lost its volume and has not caught up); retry");
        if (!await record.TryCompareAndSwapReplicationAsync(current.Epoch, next).ConfigureAwait(false))
        {
            throw new PartitionUnavailableException(key, "another replica is taking over; retry");
        }

        var candidate = Candidate.Begin(next, node.Replica, MaxBatch);
        var partition = new ReplicatedPartition(key, node, next, grains, options, time, logger);
        LogFailoverStarted(logger, key, next.Epoch, node.Replica.Name);
        try
        {
            await partition.FailoverAsync(candidate, deadline, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await partition.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        try
        {
            await record.MarkEstablishedAsync().ConfigureAwait(false);
        }
        catch
        {
            await partition.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        LogLeading(logger, key, next.Epoch, partition.VisibleThroughId);
        return partition;
    }

    private async Task FailoverAsync(Candidate candidate, long deadline, CancellationToken cancellationToken)
    {
        var self = _node.Replica.Name;
        while (true)
        {
            var (state, outbox) = await _node.RunAsync(_ =>
            {
                var o = new List<Outgoing>();
                candidate.Step(o);
                return (candidate.State, o);
            }).ConfigureAwait(false);
            if (state == CandidateState.Ready)
            {
                break;
            }

            if (state == CandidateState.Failed)
            {
                throw new PartitionUnavailableException(_key, $"the failover to epoch {candidate.Epoch} met a newer epoch; retry");
            }

            var remaining = Remaining(deadline);
            if (remaining <= TimeSpan.Zero)
            {
                throw new PartitionUnavailableException(_key, string.Create(CultureInfo.InvariantCulture,
                    $"no majority of its replica set ({string.Join(", ", Configuration.Replicas)}) answered the failover to epoch {candidate.Epoch} within {_options.ReplicationQuorumTimeout.TotalMilliseconds} ms; retry"));
            }

            var sends = new List<Task>(outbox.Count);
            foreach (var outgoing in outbox)
            {
                sends.Add(SendFailoverAsync(candidate, self, outgoing, remaining));
            }

            await Task.WhenAll(sends).ConfigureAwait(false);
            var progressed = await _node.RunAsync(_ => candidate.State).ConfigureAwait(false);
            if (progressed == state)
            {
                await Task.Delay(RetryPause, _time, cancellationToken).ConfigureAwait(false);
            }
        }

        _leader = await _node.RunAsync(n =>
        {
            var leader = candidate.BecomeLeader();
            _leader = leader;
            n.LeaderHost = this;
            n.MarkDirty();
            return leader;
        }).ConfigureAwait(false);
        _pump = Task.Run(PumpAsync, CancellationToken.None);
        Wake();
        try
        {
            await _serving.Task.WaitAsync(Remaining(deadline), _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new PartitionUnavailableException(_key, string.Create(CultureInfo.InvariantCulture,
                $"the epoch start of epoch {candidate.Epoch} was not durable on a majority within {_options.ReplicationQuorumTimeout.TotalMilliseconds} ms; retry"), e);
        }
    }

    private async Task SendFailoverAsync(Candidate candidate, string self, Outgoing outgoing, TimeSpan timeout)
    {
        if (!_links.TryGetValue(outgoing.To, out var link))
        {
            return;
        }

        try
        {
            switch (outgoing.Message)
            {
                case FenceRequest fence:
                    var fenced = await link.Grain.FenceAsync(self, fence).WaitAsync(timeout, _time).ConfigureAwait(false);
                    await _node.RunAsync(_ =>
                    {
                        candidate.OnFenceReply(link.Name, fenced);
                        return 0;
                    }).ConfigureAwait(false);
                    break;
                case ReadLogRequest read:
                    var entries = await link.Grain.ReadLogAsync(self, read).WaitAsync(timeout, _time).ConfigureAwait(false);
                    await _node.RunAsync(_ =>
                    {
                        candidate.OnReadLogReply(link.Name, entries);
                        return 0;
                    }).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception e) when (e is not ObjectDisposedException)
        {
            // Lost: the next step resends it.
            LogSendFailed(_logger, _key, link.Name, e.GetType().Name);
        }
    }

    private TimeSpan Remaining(long deadline)
    {
        var ticks = deadline - _time.GetTimestamp();
        return ticks <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)ticks / _time.TimestampFrequency);
    }

    /// <summary>
    /// Appends <paramref name="payloads"/> (one producer batch) and returns once the commit point covers them.
    /// </summary>
    public async Task<AppendAck> AppendAsync(ReadOnlyMemory<byte>[] payloads, long? expectedLastId, ProducerStamp? stamp)
    {
        foreach (var payload in payloads)
        {
            if (payload.Length > _options.MaxRecordBytes)
            {
                throw new RecordTooLargeException(payload.Length, _options.MaxRecordBytes, string.Create(CultureInfo.InvariantCulture,
                    $"A record of {payload.Length} bytes exceeds AppendLogOptions.MaxRecordBytes ({_options.MaxRecordBytes}). Nothing was written."));
            }
        }

        var (first, last, duplicate, waiter) = await _node.RunAsync(_ => AppendLocked(payloads, expectedLastId, stamp));
        Wake();
        if (waiter is not null)
        {
            try
            {
                await waiter.Task.WaitAsync(_options.ReplicationQuorumTimeout, _time);
            }
            catch (TimeoutException e)
            {
                throw new PartitionUnavailableException(_key, string.Create(CultureInfo.InvariantCulture,
                    $"no majority of its replica set made ids {first}..{last} durable within {_options.ReplicationQuorumTimeout.TotalMilliseconds} ms; they were not acknowledged; retry (a producer stamp makes the retry safe)"), e);
            }
        }

        return new AppendAck(first, last, true, duplicate);
    }

    private (long First, long Last, bool Duplicate, TaskCompletionSource? Waiter) AppendLocked(ReadOnlyMemory<byte>[] payloads, long? expectedLastId, ProducerStamp? stamp)
    {
        if (_deposed || _leader is not { Serving: true } leader)
        {
            throw new PartitionUnavailableException(_key, "its leader is stepping down; retry");
        }

        if (stamp is { } s && _producers.TryGetValue(s.ProducerId, out var seen))
        {
            if (s.Sequence == seen.Sequence)
            {
                return (seen.FirstId, seen.LastId, true, WaiterFor(seen.LastId));
            }

            if (s.Sequence < seen.Sequence)
            {
                throw new StaleSequenceException(s.ProducerId, s.Sequence, seen.Sequence, string.Create(CultureInfo.InvariantCulture,
                    $"ProducerStamp({s.ProducerId}, {s.Sequence}) is older than the producer's last batch ({seen.Sequence}). Nothing was written."));
            }
        }

        var end = leader.Local.Store.End.Id;
        if (expectedLastId is { } expected && expected != end)
        {
            throw new ExpectedLastIdMismatchException(expected, end, string.Create(CultureInfo.InvariantCulture,
                $"The append expected the partition's last id to be {expected}, but it is {end}. Nothing was written."));
        }

        long first = -1, last = -1;
        foreach (var payload in payloads)
        {
            // Rollover is the leader's own rule (Leader.Append asks its store whether the record fits the segment).
            last = leader.Append(payload, 0);
            first = first < 0 ? last : first;
        }

        if (stamp is { } st)
        {
            _producers[st.ProducerId] = (st.Sequence, first, last);
        }

        _node.MarkDirty();
        return (first, last, false, WaiterFor(last));
    }

    /// <summary>A task completed once <paramref name="id"/> is committed (null when it already is). Inside the gate.</summary>
    private TaskCompletionSource? WaiterFor(long id)
    {
        if (VisibleThroughId >= id)
        {
            return null;
        }

        if (!_waiters.TryGetValue(id, out var waiter))
        {
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add(id, waiter);
        }

        return waiter;
    }

    /// <summary>Returns once every record written before the call is committed; the committed id.</summary>
    public async Task<long> FlushAsync()
    {
        var waiter = await _node.RunAsync(n => _leader is null ? null : WaiterFor(n.Replica.Store.End.Id));
        if (waiter is not null)
        {
            Wake();
            await waiter.Task.WaitAsync(_options.ReplicationQuorumTimeout, _time);
        }

        return VisibleThroughId;
    }

    /// <summary>Waits until the visible id passes <paramref name="knownId"/> or <paramref name="wait"/> elapsed; the visible id.</summary>
    public async Task<long> WaitForVisibleAsync(long knownId, TimeSpan wait, CancellationToken cancellationToken)
    {
        var until = _time.GetTimestamp() + (long)(wait.TotalSeconds * _time.TimestampFrequency);
        while (VisibleThroughId <= knownId)
        {
            var advanced = Volatile.Read(ref _visibleAdvanced).Task;
            if (VisibleThroughId > knownId)
            {
                break;
            }

            var remaining = Remaining(until);
            if (remaining <= TimeSpan.Zero)
            {
                break;
            }

            try
            {
                await advanced.WaitAsync(remaining, _time, cancellationToken);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                break;
            }
        }

        return VisibleThroughId;
    }

    public void OnLocalFlush(List<Acknowledgement> acknowledged)
    {
        _leader?.OnLocalFlush(acknowledged);
        AfterCommitChange(acknowledged);
    }

    /// <summary>Completes what the commit point now covers, moves the visible id, steps down when deposed. Inside the gate.</summary>
    private void AfterCommitChange(List<Acknowledgement> acknowledged)
    {
        if (_leader is not { } leader)
        {
            return;
        }

        if (!leader.Active)
        {
            StepDown();
            return;
        }

        var visible = leader.VisibleThroughId;
        if (leader.Serving)
        {
            _serving.TrySetResult();
        }

        if (visible > VisibleThroughId)
        {
            Interlocked.Exchange(ref _visible, visible);
            var advanced = Interlocked.Exchange(ref _visibleAdvanced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            advanced.TrySetResult();
        }

        foreach (var ack in acknowledged)
        {
            if (_waiters.Remove(ack.Id, out var waiter))
            {
                waiter.TrySetResult();
            }
        }

        // Appends already committed in an earlier epoch (a duplicate of an adopted batch) have no acknowledgement of
        // their own: release every waiter the commit point covers.
        if (_waiters.Count > 0)
        {
            List<long>? covered = null;
            foreach (var id in _waiters.Keys)
            {
                if (id <= visible)
                {
                    (covered ??= []).Add(id);
                }
            }

            if (covered is not null)
            {
                foreach (var id in covered)
                {
                    _waiters.Remove(id, out var waiter);
                    waiter!.TrySetResult();
                }
            }
        }
    }

    /// <summary>A newer epoch exists: fail what waits, stop replicating, let the activation go. Inside the gate.</summary>
    private void StepDown()
    {
        if (_deposed)
        {
            return;
        }

        _deposed = true;
        LogDeposed(_logger, _key, Configuration.Epoch);
        foreach (var (_, waiter) in _waiters)
        {
            waiter.TrySetException(new PartitionUnavailableException(_key, "its leader was deposed by a newer epoch before the append was committed; retry"));
        }

        _waiters.Clear();
        _serving.TrySetException(new PartitionUnavailableException(_key, "a newer epoch took over; retry"));
        if (ReferenceEquals(_node.LeaderHost, this))
        {
            _node.LeaderHost = null;
        }

        _stop.Cancel();
    }

    private void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    private async Task PumpAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            bool signaled;
            try
            {
                var busy = await _node.RunAsync(_ => _waiters.Count > 0 || !_serving.Task.IsCompleted).ConfigureAwait(false);
                signaled = await _wake.WaitAsync(busy ? BusyHeartbeat : IdleHeartbeat, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            List<(Link Link, ReplicationMessage Request)> sends;
            try
            {
                sends = await _node.RunAsync(_ => CollectSends(heartbeat: !signaled)).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            foreach (var (link, request) in sends)
            {
                _ = SendAsync(link, request);
            }
        }
    }

    private List<(Link Link, ReplicationMessage Request)> CollectSends(bool heartbeat)
    {
        var sends = new List<(Link, ReplicationMessage)>();
        if (_deposed || _leader is not { } leader)
        {
            return sends;
        }

        if (!leader.Active)
        {
            StepDown();
            return sends;
        }

        var outbox = new List<Outgoing>(1);
        foreach (var (name, link) in _links)
        {
            var send = heartbeat && link.InFlight == 0;
            while (link.InFlight < MaxInFlight && (send || leader.HasUnsent(name)))
            {
                outbox.Clear();
                leader.Replicate(name, outbox);
                if (outbox.Count == 0)
                {
                    break;
                }

                foreach (var outgoing in outbox)
                {
                    // A batch, or a whole sealed segment for a lagging follower (or both: a batch stops before one).
                    link.InFlight++;
                    sends.Add((link, outgoing.Message));
                }

                send = false;
            }
        }

        return sends;
    }

    private async Task SendAsync(Link link, ReplicationMessage request)
    {
        AppendReply? reply = null;
        try
        {
            reply = await (request is InstallSegmentRequest install
                ? link.Grain.InstallSegmentAsync(_node.Replica.Name, install)
                : link.Grain.AppendAsync(_node.Replica.Name, (AppendRequest)request)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Lost: the leader finds the gap at the next batch (the follower refuses its previous position) and resends.
            LogSendFailed(_logger, _key, link.Name, e.GetType().Name);
        }

        try
        {
            await _node.RunAsync(_ =>
            {
                link.InFlight--;
                if (reply is not null && !_deposed && _leader is { } leader)
                {
                    var acknowledged = new List<Acknowledgement>();
                    leader.OnAppendReply(link.Name, reply, acknowledged);
                    AfterCommitChange(acknowledged);
                }

                return 0;
            }).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        Wake();
    }

    /// <summary>Stops leading on this activation (the replica stays open for the next leader).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _node.RunAsync(_ =>
            {
                StepDown();
                return 0;
            }).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The silo is stopping: the replica is closed.
            _stop.Cancel();
        }

        if (_pump is { } pump)
        {
            await pump.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    /// <summary>Followers' replication state (for status): silo, highest matched position.</summary>
    public Task<List<(string Silo, LogPosition Match)>> FollowersAsync() => _node.RunAsync(_ =>
    {
        var list = new List<(string, LogPosition)>();
        foreach (var name in _links.Keys)
        {
            list.Add((name, _leader?.MatchOf(name) ?? LogPosition.Start));
        }

        return list;
    });

    private sealed class Link(string name, IPartitionReplicaGrain grain)
    {
        public string Name { get; } = name;

        public IPartitionReplicaGrain Grain { get; } = grain;

        /// <summary>Batches sent and not answered yet (inside the gate).</summary>
        public int InFlight { get; set; }
    }

    [LoggerMessage(20, LogLevel.Information, "Partition {Partition}: failover to epoch {Epoch} started on silo {Silo}")]
    private static partial void LogFailoverStarted(ILogger logger, string partition, long epoch, string silo);

    [LoggerMessage(21, LogLevel.Information, "Partition {Partition}: leading epoch {Epoch}, committed through id {CommitId}")]
    private static partial void LogLeading(ILogger logger, string partition, long epoch, long commitId);

    [LoggerMessage(22, LogLevel.Warning, "Partition {Partition}: the leader of epoch {Epoch} was deposed by a newer epoch")]
    private static partial void LogDeposed(ILogger logger, string partition, long epoch);

    [LoggerMessage(23, LogLevel.Debug, "Partition {Partition}: a replication message to {Silo} was lost ({Error})")]
    private static partial void LogSendFailed(ILogger logger, string partition, string silo, string error);
}
