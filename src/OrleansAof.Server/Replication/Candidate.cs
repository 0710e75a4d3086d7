namespace OrleansAof.Server.Replication;

/// <summary>
/// A failover (docs/replication.md, "Failover"): after winning the compare-and-swap of a higher epoch, fence a majority
/// of voters, learn their durable log ends, adopt the most up-to-date log (by epoch, then id), and hand over to a
/// <see cref="Leader"/>, which truncates divergent suffixes on the followers and commits an entry of the new epoch
/// before it serves. Pure and deterministic.
/// </summary>
internal sealed class Candidate
{
    /// <summary>Reading the adopted log takes this many append batches per request.</summary>
    private const int ReadBatchFactor = 16;

    private readonly ReplicationConfiguration _configuration;
    private readonly Replica _local;
    private readonly ReplicationSafety _safety;
    private readonly int _maxBatch;
    private readonly Dictionary<string, FenceReply> _fenced = new(StringComparer.Ordinal);
    private string? _source;
    private LogPosition _sourceEnd;
    private LogPosition _readAfter;
    private LogPosition _knownCommit = LogPosition.Start;

    private Candidate(ReplicationConfiguration configuration, Replica local, int maxBatch, ReplicationSafety safety)
    {
        _configuration = configuration;
        _local = local;
        _maxBatch = maxBatch;
        _safety = safety;
    }

    /// <summary>The epoch this failover won.</summary>
    public long Epoch => _configuration.Epoch;

    /// <summary>Where the failover stands.</summary>
    public CandidateState State { get; private set; }

    /// <summary>
    /// Compare-and-swaps <paramref name="local"/>'s silo in as leader of the next epoch; null when the configuration moved
    /// on, when <paramref name="local"/> is not in the replica set, or when it is not a voter (a replica that lost its
    /// volume and has not caught up may not lead).
    /// </summary>
    public static Candidate? TryBegin(IReplicationConfigurationStore store, Replica local, int maxBatch, ReplicationSafety? safety = null)
    {
        var current = store.Read();
        return Propose(current, local) is { } next && store.TryCompareAndSwap(current.Epoch, next) ? Begin(next, local, maxBatch, safety) : null;
    }

    /// <summary>
    /// The first step of <see cref="TryBegin"/> for a caller whose configuration store is asynchronous (the grains): the
    /// configuration to compare-and-swap in over <paramref name="current"/>, or null when <paramref name="local"/> may
    /// not lead (not in the replica set, or not a voter).
    /// </summary>
    public static ReplicationConfiguration? Propose(ReplicationConfiguration current, Replica local)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(local);
        if (!local.Voter || !current.Replicas.Contains(local.Name, StringComparer.Ordinal))
        {
            return null;
        }

        return current with { Epoch = Math.Max(current.Epoch, local.Promise) + 1, Leader = local.Name };
    }

    /// <summary>
    /// The second step of <see cref="TryBegin"/>: starts the failover to <paramref name="won"/>, a configuration from
    /// <see cref="Propose"/> that the caller's compare-and-swap wrote.
    /// </summary>
    public static Candidate Begin(ReplicationConfiguration won, Replica local, int maxBatch, ReplicationSafety? safety = null)
        => new(won, local, maxBatch, safety ?? ReplicationSafety.Default);

    /// <summary>Fences the local replica and sends (or resends) the fence to the others not heard from, or the log read.</summary>
    public void Step(ICollection<Outgoing> outbox)
    {
        switch (State)
        {
            case CandidateState.Fencing:
                if (!_fenced.ContainsKey(_local.Name))
                {
                    OnFenceReply(_local.Name, _local.Fence(Epoch, local: true));
                }

                foreach (var replica in _configuration.Replicas)
                {
                    if (State == CandidateState.Fencing && !_fenced.ContainsKey(replica))
                    {
                        outbox.Add(new(replica, new FenceRequest(Epoch)));
                    }
                }

                break;
            case CandidateState.Adopting:
                outbox.Add(new(_source!, new ReadLogRequest(Epoch, _readAfter, _maxBatch * ReadBatchFactor)));
                break;
        }
    }

    /// <summary>Handles a fence reply.</summary>
    public void OnFenceReply(string from, FenceReply reply)
    {
        if (State != CandidateState.Fencing || reply.Epoch != Epoch)
        {
            return;
        }

        if (reply.Promise > Epoch || reply.Reason == RefusalReason.StaleEpoch)
        {
            State = CandidateState.Failed;
            return;
        }

        if (reply.Reason != RefusalReason.None)
        {
            return; // not a voter: it does not count, and its log is not a candidate for adoption
        }

        _fenced[from] = reply;
        if (_fenced.Count < _configuration.Majority)
        {
            return;
        }

        // A majority of voters is fenced: no older leader can commit anything more. Adopt the most up-to-date log.
        FencedMajority = true;
        var best = _fenced[_local.Name].End;
        _source = _local.Name;
        foreach (var (name, fenced) in _fenced)
        {
            _knownCommit = LogPosition.Max(_knownCommit, fenced.Commit);
            if (fenced.End > best)
            {
                best = fenced.End;
                _source = name;
            }
        }

        _sourceEnd = best;
        if (_source == _local.Name)
        {
            Finish();
            return;
        }

        // The local log agrees with every log up to its own commit point: read the source's entries after it.
        _readAfter = _local.Commit;
        State = CandidateState.Adopting;
    }

    /// <summary>Whether a majority of voters has promised this epoch.</summary>
    public bool FencedMajority { get; private set; }

    /// <summary>Handles a batch of the source's log.</summary>
    public void OnReadLogReply(string from, ReadLogReply reply)
    {
        if (State != CandidateState.Adopting || from != _source || reply.Epoch != Epoch || reply.After != _readAfter)
        {
            return;
        }

        if (reply.Reason != RefusalReason.None || (_safety.Fencing && reply.End != _sourceEnd) || !_local.Store.Contains(_readAfter))
        {
            State = CandidateState.Failed;
            return;
        }

        // Entries both logs hold stay; the local suffix from the first difference goes (it is not committed: every
        // committed entry is in the adopted log). A crash part way leaves a log that still holds every committed entry.
        _local.AppendMatching(_readAfter, reply.Entries);
        _readAfter = reply.Entries.Count > 0 ? reply.Entries[^1].Position : _readAfter;
        if (_readAfter >= reply.End)
        {
            Finish();
        }
    }

    /// <summary>Starts the leader of this epoch over the adopted log.</summary>
    public Leader BecomeLeader()
    {
        if (State != CandidateState.Ready)
        {
            throw new InvalidOperationException($"The failover to epoch {Epoch} is {State}, not ready.");
        }

        return new Leader(_configuration, _local, LogPosition.Min(_knownCommit, _local.Store.End), _maxBatch, _safety);
    }

    private void Finish()
    {
        if (_local.Promise != Epoch)
        {
            State = CandidateState.Failed;
            return;
        }

        _local.Store.Flush();
        State = CandidateState.Ready;
    }
}
