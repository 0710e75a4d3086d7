namespace OrleansAof.Server.Replication;

/// <summary>
/// The leader of one epoch (docs/replication.md, "Leader"): assigns ids, sends batches to each follower from its next
/// position, tracks what each has matched durably, advances the commit point to what a majority holds, but only through
/// an entry of its own epoch, and acknowledges appends the commit point covers. Pure and deterministic.
/// </summary>
internal sealed class Leader
{
    private readonly Replica _local;
    private readonly ReplicationSafety _safety;
    private readonly Dictionary<string, FollowerProgress> _followers = new(StringComparer.Ordinal);
    private readonly Queue<Acknowledgement> _pending = new();
    private readonly Queue<ReadOnlyMemory<byte>> _deferred = new();
    private readonly int _maxBatch;
    private readonly int _majority;
    private readonly LogPosition _epochStart;
    private readonly LogPosition[] _scratch;
    private bool _deposed;
    private bool _rolloverWanted;

    /// <summary>
    /// Starts leading <paramref name="configuration"/>'s epoch over <paramref name="local"/>, whose log is already the
    /// adopted one; appends the epoch-start entry. <paramref name="knownCommit"/> is a position known committed.
    /// </summary>
    public Leader(ReplicationConfiguration configuration, Replica local, LogPosition knownCommit, int maxBatch, ReplicationSafety? safety = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        if (configuration.Leader != local.Name || local.Promise != configuration.Epoch)
        {
            throw new ArgumentException($"Replica {local.Name} (promise {local.Promise}) cannot lead epoch {configuration.Epoch} of leader {configuration.Leader}.", nameof(local));
        }

        Epoch = configuration.Epoch;
        _local = local;
        _safety = safety ?? ReplicationSafety.Default;
        _maxBatch = maxBatch;
        _majority = configuration.Majority;
        _scratch = new LogPosition[configuration.Replicas.Length];
        var end = local.Store.End;
        _epochStart = new LogPosition(Epoch, end.Id);
        local.Store.Append(new ReplicaEntry(_epochStart, ReplicaEntryKind.EpochStart, ReadOnlyMemory<byte>.Empty));
        Commit = knownCommit;
        local.AdvanceCommit(knownCommit);
        foreach (var replica in configuration.Replicas)
        {
            if (replica != local.Name)
            {
                _followers.Add(replica, new FollowerProgress { Next = end });
            }
        }
    }

    /// <summary>The leader's epoch.</summary>
    public long Epoch { get; }

    /// <summary>The replica this leader writes through.</summary>
    public Replica Local => _local;

    /// <summary>The commit point: every entry at or before it is durable on a majority and will be in every later leader's log.</summary>
    public LogPosition Commit { get; private set; }

    /// <summary>Whether this leader still believes it leads (it learns otherwise from a higher epoch).</summary>
    public bool Active => !_deposed && _local.Promise == Epoch;

    /// <summary>Whether the epoch-start entry is committed: appends are taken and reads served from then on.</summary>
    public bool Serving => Active && Commit >= _epochStart;

    /// <summary>The position of this epoch's first entry.</summary>
    public LogPosition EpochStart => _epochStart;

    /// <summary>
    /// Assigns the next id to <paramref name="payload"/> and writes it locally; it is acknowledged with
    /// <paramref name="token"/> once committed. Returns the id, or -1 when this leader does not serve.
    /// </summary>
    /// <remarks>
    /// Rollover is the leader's decision (docs/replication.md, "Segment seal as a replicated event"): it marks a record
    /// <see cref="ReplicaEntry.StartsSegment"/> when asked (<paramref name="startsSegment"/>), when its store says the
    /// active segment is past the age limit, or when the record does not fit the active segment on every replica. A
    /// boundary goes only where everything before it is committed (never truncated): a wanted rollover marks the first
    /// append made once the commit point has caught up with the log; a record that does not fit waits, with every append
    /// after it, until then. Such a record already has its id; it is written when the commit point reaches the log's end.
    /// </remarks>
    public long Append(ReadOnlyMemory<byte> payload, long token, bool startsSegment = false)
    {
        if (!Serving)
        {
            return -1;
        }

        // The store refuses a record it can never hold here, before the record has an id.
        var rollover = _local.Store.RolloverFor(payload.Length);
        _rolloverWanted |= startsSegment;
        if (_deferred.Count == 0 && TryWrite(payload, rollover))
        {
            var written = _local.Store.End.Id;
            _pending.Enqueue(new Acknowledgement(token, written));
            return written;
        }

        var id = _local.Store.End.Id + 1 + _deferred.Count;
        _deferred.Enqueue(payload);
        _pending.Enqueue(new Acknowledgement(token, id));
        return id;
    }

    /// <summary>Appends that have their ids but wait for the commit point before they start a new segment.</summary>
    public int Deferred => _deferred.Count;

    /// <summary>
    /// Sends each follower what follows its next position: the sealed segment that starts there, whole, when the store has
    /// one (catch-up of a lagging or wiped replica), otherwise a batch of entries (or a heartbeat with the commit point).
    /// </summary>
    public void Replicate(ICollection<Outgoing> outbox)
    {
        if (!Active)
        {
            return;
        }

        foreach (var (name, progress) in _followers)
        {
            // Catch-up: a follower that lacks a whole sealed segment gets it whole, not entry by entry.
            if (_local.Store.ExportSegmentAfter(progress.Next) is { } segment)
            {
                outbox.Add(new(name, new InstallSegmentRequest(Epoch, progress.Next, segment, Commit, Commit >= _epochStart, progress.Incarnation)));
                progress.Next = segment.Last; // pipelined like a batch; a refusal resets it
                continue;
            }

            var entries = _local.Store.ReadAfter(progress.Next, _maxBatch);

            // A batch that would run into a sealed segment stops before it; the segment follows whole.
            SegmentTransfer? following = null;
            for (var k = 1; k < entries.Count; k++)
            {
                if (entries[k].StartsSegment && (following = _local.Store.ExportSegmentAfter(entries[k - 1].Position)) is not null)
                {
                    var head = new List<ReplicaEntry>(k);
                    for (var i = 0; i < k; i++)
                    {
                        head.Add(entries[i]);
                    }

                    entries = head;
                    break;
                }
            }

            outbox.Add(new(name, new AppendRequest(Epoch, progress.Next, entries, Commit, Commit >= _epochStart, progress.Incarnation)));
            if (entries.Count > 0)
            {
                progress.Next = entries[^1].Position; // pipelined: the next batch follows this one; a refusal resets it
            }

            if (following is not null)
            {
                outbox.Add(new(name, new InstallSegmentRequest(Epoch, progress.Next, following, Commit, Commit >= _epochStart, progress.Incarnation)));
                progress.Next = following.Last;
            }
        }
    }

    /// <summary>Handles a follower's reply; returns the appends that became acknowledged (in id order).</summary>
    public void OnAppendReply(string from, AppendReply reply, ICollection<Acknowledgement> acknowledged)
    {
        if (reply.Promise > Epoch)
        {
            _deposed = true;
            _pending.Clear();
            _deferred.Clear();
            return;
        }

        if (!Active || reply.Epoch != Epoch || !_followers.TryGetValue(from, out var progress))
        {
            return;
        }

        progress.Incarnation = reply.Incarnation;
        if (reply.Reason == RefusalReason.None)
        {
            progress.Match = LogPosition.Max(progress.Match, reply.Matched);
            if (progress.Next < reply.Matched)
            {
                progress.Next = reply.Matched;
            }

            UpdateCommit(acknowledged);
        }
        else if (reply.Reason == RefusalReason.PrevMismatch)
        {
            // Back off: to the entry before the refused one, or further to what the follower's log can hold.
            var back = reply.End < reply.RefusedPrev ? _local.Store.Floor(reply.End) : _local.Store.Floor(reply.RefusedPrev);
            if (back == reply.RefusedPrev && back != LogPosition.Start)
            {
                back = _local.Store.Before(back);
            }

            if (back < progress.Next)
            {
                progress.Next = back;
            }
        }
    }

    /// <summary>The local log was flushed: the leader's own durable end counts toward the commit point.</summary>
    public void OnLocalFlush(ICollection<Acknowledgement> acknowledged) => UpdateCommit(acknowledged);

    /// <summary>Records visible to readers: those with ids up to the commit point's id.</summary>
    public long VisibleThroughId => Serving ? Commit.Id : -1;

    /// <summary>Writes the appends that have ids, in order, as far as the rollover rule lets them.</summary>
    private void WriteDeferred()
    {
        while (_deferred.Count > 0 && TryWrite(_deferred.Peek(), _local.Store.RolloverFor(_deferred.Peek().Length)))
        {
            _deferred.Dequeue();
        }
    }

    /// <summary>Writes <paramref name="payload"/> at the next id, marking a segment start where the rule says; false when it must wait.</summary>
    private bool TryWrite(ReadOnlyMemory<byte> payload, SegmentRollover rollover)
    {
        var end = _local.Store.End;
        var committedThroughEnd = Commit >= end;
        if (rollover == SegmentRollover.Required && !committedThroughEnd)
        {
            return false; // the record must start a segment, and a boundary may only follow committed entries
        }

        var marks = (_rolloverWanted || rollover != SegmentRollover.None) && committedThroughEnd;
        _local.Store.Append(new ReplicaEntry(new LogPosition(Epoch, end.Id + 1), ReplicaEntryKind.Record, payload, marks));
        _rolloverWanted &= !marks;
        return true;
    }

    private void UpdateCommit(ICollection<Acknowledgement> acknowledged)
    {
        if (!Active)
        {
            return;
        }

        var count = 0;
        _scratch[count++] = _local.Store.DurableEnd;
        foreach (var progress in _followers.Values)
        {
            _scratch[count++] = progress.Match;
        }

        Array.Sort(_scratch, 0, count);
        var majorityHolds = _scratch[count - _majority];
        if (majorityHolds <= Commit || (_safety.CurrentEpochCommit && majorityHolds.Epoch != Epoch))
        {
            return;
        }

        Commit = majorityHolds;
        _local.AdvanceCommit(Commit);
        WriteDeferred();
        while (_pending.Count > 0 && _pending.Peek().Id <= Commit.Id)
        {
            acknowledged.Add(_pending.Dequeue());
        }
    }

    private sealed class FollowerProgress
    {
        public LogPosition Next { get; set; }

        public LogPosition Match { get; set; } = LogPosition.Start;

        public long Incarnation { get; set; }
    }
}
