namespace OrleansAof.Server.Replication;

/// <summary>
/// One replica of a partition's log: the follower side of the protocol (docs/replication.md, "Replica"). Pure and
/// deterministic: it reacts to messages and to <see cref="Flush"/> and returns what to send; it does no I/O of its own
/// beyond its <see cref="IReplicaLogStore"/> and knows no clock.
/// </summary>
internal sealed class Replica
{
    private readonly IReplicaLogStore _store;
    private readonly ReplicationSafety _safety;

    // Volatile state: lost on a crash, rebuilt empty on restart.
    private long _matchEpoch;
    private LogPosition _matched = LogPosition.Start;
    private string? _replyTo;
    private LogPosition _commit;
    private LogPosition? _rejoinTarget;

    private Replica(string name, IReplicaLogStore store, ReplicationSafety safety, long incarnation)
    {
        Name = name;
        _store = store;
        _safety = safety;
        Incarnation = incarnation;
        _commit = store.State.Commit;
    }

    /// <summary>The replica's name (its silo).</summary>
    public string Name { get; }

    /// <summary>A number that differs on every start of this replica (a lost volume must not be mistaken for the old one).</summary>
    public long Incarnation { get; }

    /// <summary>The local log.</summary>
    public IReplicaLogStore Store => _store;

    /// <summary>The durable promise: every lower epoch is refused.</summary>
    public long Promise => _store.State.Promise;

    /// <summary>Whether the replica may answer fences.</summary>
    public bool Voter => _store.State.Voter;

    /// <summary>The highest position known committed that the log holds.</summary>
    public LogPosition Commit => _commit;

    /// <summary>Opens a replica over a store that survived (a first start, or a restart after a crash).</summary>
    public static Replica Open(string name, IReplicaLogStore store, long incarnation, ReplicationSafety? safety = null)
        => new(name, store, safety ?? ReplicationSafety.Default, incarnation);

    /// <summary>
    /// Opens a replica whose volume was lost while the configuration still lists it: it promises the configuration's
    /// epoch (a deposed leader cannot use it) and is no voter until it has caught up (docs/replication.md, "Lost volumes").
    /// </summary>
    public static Replica OpenAfterLostVolume(string name, IReplicaLogStore emptyStore, long configurationEpoch, long incarnation, ReplicationSafety? safety = null)
    {
        if (emptyStore.End != LogPosition.Start)
        {
            throw new ArgumentException("The store of a replica that lost its volume must be empty.", nameof(emptyStore));
        }

        emptyStore.WriteState(new ReplicaDurableState(configurationEpoch, false, LogPosition.Start, 0));
        return new Replica(name, emptyStore, safety ?? ReplicationSafety.Default, incarnation);
    }

    /// <summary>Handles a leader's append: accept rule, divergent-suffix truncation, commit point; the reply follows the next flush.</summary>
    public void OnAppend(string from, AppendRequest request, ICollection<Outgoing> outbox)
    {
        if (request.Epoch < Promise)
        {
            outbox.Add(new(from, Refusal(request.Epoch, RefusalReason.StaleEpoch, request.Prev)));
            return;
        }

        RaisePromise(request.Epoch);
        if (_matchEpoch != request.Epoch)
        {
            _matchEpoch = request.Epoch;
            _matched = LogPosition.Start;
        }

        LogPosition last;
        if (_store.Contains(request.Prev))
        {
            last = AppendMatching(request.Prev, request.Entries);
        }
        else if (!_safety.PrevMatch)
        {
            // Protection switched off (tests only): take whatever lies past the local end, wherever the leader's prev is.
            last = _store.End;
            foreach (var entry in request.Entries)
            {
                if (entry.Position > _store.End)
                {
                    _store.Append(entry);
                    last = entry.Position;
                }
            }
        }
        else
        {
            outbox.Add(new(from, Refusal(request.Epoch, RefusalReason.PrevMismatch, request.Prev)));
            return;
        }

        Accepted(from, last, request.Commit, request.CommitComplete, request.ForIncarnation);
    }

    /// <summary>
    /// Handles a leader's sealed segment (catch-up; docs/replication.md, "Catch-up"): the same epoch and previous-position
    /// rules as an append; then, when the log lacks the segment's first record, the local suffix after the last position
    /// both logs hold is truncated (never at or before the commit point or into a sealed segment) and the segment installed.
    /// A log that already holds some of the segment's records only reports how far it matches; the leader sends the rest
    /// as entries. The reply follows the next flush.
    /// </summary>
    public void OnInstallSegment(string from, InstallSegmentRequest request, ICollection<Outgoing> outbox)
    {
        if (request.Epoch < Promise)
        {
            outbox.Add(new(from, Refusal(request.Epoch, RefusalReason.StaleEpoch, request.Prev)));
            return;
        }

        RaisePromise(request.Epoch);
        if (_matchEpoch != request.Epoch)
        {
            _matchEpoch = request.Epoch;
            _matched = LogPosition.Start;
        }

        if (!_store.Contains(request.Prev))
        {
            outbox.Add(new(from, Refusal(request.Epoch, RefusalReason.PrevMismatch, request.Prev)));
            return;
        }

        var segment = request.Segment;
        var last = segment.Last;
        if (!_store.Contains(last))
        {
            // The positions before the segment's first record that this log holds (epoch starts at BaseId - 1), then the first record.
            last = request.Prev;
            foreach (var mark in segment.Epochs)
            {
                if (mark.HasStart && mark.First > last && _store.Contains(mark.First))
                {
                    last = mark.First;
                }
            }

            var first = new LogPosition(EpochOfFirstRecord(segment), segment.BaseId);
            if (_store.Contains(first))
            {
                last = first; // holds part of the segment: both logs agree through its first record; the leader sends the rest
            }
            else
            {
                if (_store.End != last)
                {
                    if (last.Id < _store.State.SealedBefore - 1 || last < _commit)
                    {
                        throw new ReplicationProtocolException($"Replica {Name} would truncate after {last}, below its commit point {_commit} or its sealed segments (before id {_store.State.SealedBefore}).");
                    }

                    _store.TruncateAfter(last);
                }

                _store.InstallSegment(segment);
                last = segment.Last;
            }
        }

        Accepted(from, last, request.Commit, request.CommitComplete, request.ForIncarnation);
    }

    /// <summary>Handles a candidate's fence: promise its epoch durably, make the log durable, report the log end.</summary>
    public void OnFence(string from, FenceRequest request, ICollection<Outgoing> outbox)
        => outbox.Add(new(from, Fence(request.Epoch)));

    /// <summary>The fence step for a candidate's own replica (and for <see cref="OnFence"/>).</summary>
    public FenceReply Fence(long epoch) => Fence(epoch, local: false);

    /// <summary>The fence step; <paramref name="local"/> for the candidate's own replica (it always promises its epoch).</summary>
    internal FenceReply Fence(long epoch, bool local)
    {
        if (epoch < Promise)
        {
            return new FenceReply(epoch, RefusalReason.StaleEpoch, _store.End, _commit, Promise);
        }

        if (_safety.Fencing || local)
        {
            RaisePromise(epoch);
        }

        _store.Flush();
        PersistCommit();
        return new FenceReply(epoch, Voter ? RefusalReason.None : RefusalReason.NotVoter, _store.DurableEnd, _commit, Promise);
    }

    /// <summary>Handles a candidate's read of this replica's log (only for the epoch this replica promised).</summary>
    public void OnReadLog(string from, ReadLogRequest request, ICollection<Outgoing> outbox)
    {
        if ((_safety.Fencing && request.Epoch != Promise) || request.Epoch < Promise)
        {
            outbox.Add(new(from, new ReadLogReply(request.Epoch, RefusalReason.StaleEpoch, request.After, [], _store.End)));
            return;
        }

        if (!_store.Contains(request.After))
        {
            outbox.Add(new(from, new ReadLogReply(request.Epoch, RefusalReason.PrevMismatch, request.After, [], _store.End)));
            return;
        }

        _store.Flush();
        outbox.Add(new(from, new ReadLogReply(request.Epoch, RefusalReason.None, request.After, _store.ReadAfter(request.After, request.Max), _store.DurableEnd)));
    }

    /// <summary>
    /// Group commit: makes everything written durable, then tells the current epoch's leader how far its log is matched
    /// and durable. Never reports to an epoch the replica no longer promises.
    /// </summary>
    public void Flush(ICollection<Outgoing> outbox)
    {
        _store.Flush();
        PersistCommit();
        if (!Voter && _rejoinTarget is { } target && _matchEpoch == Promise && _matched >= target)
        {
            _store.WriteState(_store.State with { Voter = true });
            _rejoinTarget = null;
        }

        if (_replyTo is { } leader && _matchEpoch == Promise)
        {
            outbox.Add(new(leader, new AppendReply(Promise, RefusalReason.None, _matched, LogPosition.Start, _store.End, Promise, Incarnation)));
            _replyTo = null;
        }
    }

    /// <summary>Raises the known commit point to <paramref name="commit"/> (a position this log holds).</summary>
    internal void AdvanceCommit(LogPosition commit)
    {
        if (commit > _commit)
        {
            _commit = commit;
        }
    }

    /// <summary>
    /// Applies consecutive entries of a leader's (or the adopted) log that follow <paramref name="prev"/>, which this log
    /// holds: entries already present are kept, the local suffix from the first entry that differs is truncated, the
    /// rest appended. Entries the other log also holds are never removed. Returns the position of the last entry.
    /// </summary>
    internal LogPosition AppendMatching(LogPosition prev, IReadOnlyList<ReplicaEntry> entries)
    {
        var last = prev;
        var index = 0;
        while (index < entries.Count && _store.Contains(entries[index].Position))
        {
            last = entries[index].Position;
            index++;
        }

        if (index == entries.Count)
        {
            return last;
        }

        if (_store.End != last)
        {
            if (last.Id < _store.State.SealedBefore - 1 || last < _commit)
            {
                throw new ReplicationProtocolException($"Replica {Name} would truncate after {last}, below its commit point {_commit} or its sealed segments (before id {_store.State.SealedBefore}).");
            }

            _store.TruncateAfter(last);
        }

        for (; index < entries.Count; index++)
        {
            _store.Append(entries[index]);
            last = entries[index].Position;
        }

        return last;
    }

    private static long EpochOfFirstRecord(SegmentTransfer segment)
    {
        var epoch = 0L;
        foreach (var mark in segment.Epochs)
        {
            if (mark.AfterId < segment.BaseId)
            {
                epoch = mark.Epoch;
            }
        }

        return epoch;
    }

    /// <summary>An append or install was applied through <paramref name="last"/>: match, commit point, rejoin, reply after the flush.</summary>
    private void Accepted(string from, LogPosition last, LogPosition commit, bool commitComplete, long forIncarnation)
    {
        _matched = LogPosition.Max(_matched, last);
        _replyTo = from;
        AdvanceCommit(LogPosition.Min(commit, last));
        if (!Voter && commitComplete && forIncarnation == Incarnation)
        {
            _rejoinTarget = _rejoinTarget is { } target ? LogPosition.Max(target, commit) : commit;
        }
    }

    private void RaisePromise(long epoch)
    {
        if (epoch > Promise)
        {
            _store.WriteState(_store.State with { Promise = epoch });
            _replyTo = null;
        }
    }

    /// <summary>
    /// Persists the known commit point as far as the durable log holds it, and seals the segments it closes: a segment is
    /// sealed only once the first record of the next one is committed and durable here.
    /// </summary>
    private void PersistCommit()
    {
        var state = _store.State;
        var durable = LogPosition.Min(_commit, _store.DurableEnd);
        if (durable <= state.Commit || !_store.Contains(durable))
        {
            return;
        }

        var sealedBefore = state.SealedBefore;
        foreach (var entry in _store.ReadAfter(state.Commit, int.MaxValue))
        {
            if (entry.Position > durable)
            {
                break;
            }

            if (entry.StartsSegment && entry.Position.Id > sealedBefore)
            {
                sealedBefore = entry.Position.Id;
            }
        }

        _store.WriteState(state with { Commit = durable, SealedBefore = sealedBefore });
    }

    private AppendReply Refusal(long epoch, RefusalReason reason, LogPosition prev)
        => new(epoch, reason, LogPosition.Start, prev, _store.End, Promise, Incarnation);
}
