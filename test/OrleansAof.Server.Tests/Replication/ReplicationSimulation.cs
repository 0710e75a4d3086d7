// Over 600 lines on purpose: the seeded scheduler, lossy network and invariant checks of one deterministic simulation.
using System.Collections.Immutable;
using System.Globalization;
using OrleansAof.Server.Replication;

namespace OrleansAof.Server.Tests.Replication;

/// <summary>The settings of one simulated run.</summary>
internal sealed record SimulationOptions(int Seed, int Replicas, int Steps, ReplicationSafety Safety, bool LostVolumeRule = true)
{
    /// <summary>Steps of the healing phase at the end: no faults, no losses, until an append is acknowledged.</summary>
    public int SettleSteps { get; init; } = 4000;

    /// <summary>Options for seed <paramref name="seed"/>: three or five replicas, by seed.</summary>
    public static SimulationOptions ForSeed(int seed, int steps, ReplicationSafety? safety = null)
        => new(seed, seed % 4 == 3 ? 5 : 3, steps, safety ?? ReplicationSafety.Default);
}

/// <summary>An invariant was broken; carries which one and the step.</summary>
internal sealed class InvariantViolationException(string invariant, int step, string detail)
    : Exception($"Invariant '{invariant}' violated at step {step}: {detail}")
{
    public string Invariant { get; } = invariant;

    public int Step { get; } = step;
}

/// <summary>
/// A deterministic simulation of a partition's replica set running the product's replication state machines
/// (<see cref="Replica"/>, <see cref="Leader"/>, <see cref="Candidate"/>): one seeded scheduler picks every event —
/// message delivery (lost, duplicated, delayed and reordered), group commits, leader and candidate ticks, client appends,
/// reads of the commit point, crash-restarts that keep only what was flushed, freezes, lost volumes and failovers by
/// compare-and-swap — and after every step the five invariants of docs/replication.md are checked.
/// </summary>
internal sealed class ReplicationSimulation
{
    private const int LinkCapacity = 6;
    private readonly SimulationOptions _options;
    private readonly Random _random;
    private readonly List<SimNode> _nodes = [];
    private readonly List<InFlight> _network = [];
    private readonly InMemoryReplicationConfigurationStore _configuration;
    private readonly List<string>? _trace;
    private readonly List<Outgoing> _outbox = [];
    private readonly List<Acknowledgement> _acks = [];

    // What clients and readers were told: id -> (payload, epoch of the leader that told it).
    private readonly Dictionary<long, Issued> _issued = [];
    private readonly HashSet<long> _ackedTokens = [];

    // Ids appended by a leader after a leader of a higher epoch served (after the failover completed): they must never
    // be acknowledged or shown.
    private readonly HashSet<(long Epoch, long Id)> _acceptedWhileDeposed = [];
    private long _maxServingEpoch;
    private string? _failStop;
    private readonly HashSet<long> _fencedEpochs = [];
    private long _nextToken = 1;
    private long _nextIncarnation = 1;
    private int _step;
    private double _lossRate;
    private double _duplicateRate;
    private readonly int _maxBatch;
    private readonly double _faultRate;

    public ReplicationSimulation(SimulationOptions options, bool trace = false)
    {
        _options = options;
        _random = new Random(options.Seed);
        _trace = trace ? [] : null;
        _lossRate = _random.NextDouble() * 0.25;
        _duplicateRate = _random.NextDouble() * 0.1;
        _maxBatch = _random.Next(1, 5);
        _faultRate = 0.01 + (_random.NextDouble() * 0.04);
        var names = Enumerable.Range(0, options.Replicas).Select(i => "r" + i.ToString(CultureInfo.InvariantCulture)).ToImmutableArray();
        _configuration = new InMemoryReplicationConfigurationStore(new ReplicationConfiguration(0, names[0], names));
        foreach (var name in names)
        {
            var store = new InMemoryReplicaLogStore();
            _nodes.Add(new SimNode(name, store, Replica.Open(name, store, _nextIncarnation++, options.Safety)));
        }
    }

    /// <summary>Acknowledged appends.</summary>
    public int Acknowledged { get; private set; }

    /// <summary>Failovers that reached a serving leader.</summary>
    public int Leaders { get; private set; }

    /// <summary>How often each kind of fault and event happened.</summary>
    public SimulationCounts Counts { get; } = new();

    /// <summary>The trace (when tracing).</summary>
    public IReadOnlyList<string> Trace => _trace ?? [];

    /// <summary>Runs the faulty phase, then heals everything and requires one more append to be acknowledged.</summary>
    public void Run()
    {
        StartFailover(_nodes[0]);
        for (; _step < _options.Steps; _step++)
        {
            FaultyStep();
            Check();
        }

        Heal();
        var settleEnd = _step + _options.SettleSteps;
        long finalToken = 0;
        Leader? finalLeader = null;
        var quietSteps = 0;
        for (; _step < settleEnd; _step++)
        {
            if (finalToken != 0 && _ackedTokens.Contains(finalToken))
            {
                if (_failStop is not null)
                {
                    throw new InvariantViolationException("no replica fail-stop", _step, _failStop);
                }

                return;
            }

            if (finalLeader is { Active: false })
            {
                finalToken = 0; // deposed before it committed: append again at the next leader
                finalLeader = null;
            }

            var leader = _nodes.Select(n => n.Leader).FirstOrDefault(l => l is { Serving: true });
            if (leader is null)
            {
                // The failure detector: suspect after a while without a serving leader, sooner when nobody is trying.
                quietSteps++;
                var trying = _nodes.Any(n => n.Candidate is not null || n.Leader is { Active: true });
                if (quietSteps > (trying ? 600 : 60) && _random.Next(20) == 0)
                {
                    StartFailover(_nodes[_random.Next(_nodes.Count)]);
                    quietSteps = 0;
                }
            }
            else if (finalToken == 0)
            {
                finalToken = ClientAppend(leader);
                finalLeader = leader;
            }

            HealthyStep();
            Check();
        }

        if (_failStop is not null)
        {
            throw new InvariantViolationException("no replica fail-stop", _step, _failStop);
        }

        throw new InvariantViolationException("liveness", _step, finalToken == 0
            ? "no leader served within the healing phase"
            : "the healing phase's append was not acknowledged");
    }

    private void FaultyStep()
    {
        var roll = _random.NextDouble();
        if (roll < _faultRate)
        {
            Fault();
            return;
        }

        HealthyStep();
        if (_random.NextDouble() < 0.3)
        {
            var node = _nodes[_random.Next(_nodes.Count)];
            if (node.Running && node.Leader is { Serving: true } leader)
            {
                ClientAppend(leader);
            }
        }

        if (_random.NextDouble() < 0.05)
        {
            Read(_nodes[_random.Next(_nodes.Count)]);
        }
    }

    private void HealthyStep()
    {
        var roll = _random.Next(100);
        if (roll < 65 && _network.Count > 0)
        {
            Deliver();
        }
        else if (roll < 82)
        {
            var node = _nodes[_random.Next(_nodes.Count)];
            if (node.Running)
            {
                Flush(node);
            }
        }
        else
        {
            var node = _nodes[_random.Next(_nodes.Count)];
            if (node.Running)
            {
                Tick(node);
            }
        }
    }

    private void Fault()
    {
        var node = _nodes[_random.Next(_nodes.Count)];
        var roll = _random.Next(100);
        var down = _nodes.Count(n => !n.Running);
        if (roll < 12)
        {
            // The failure detector (right or wrong) starts a failover on a live replica.
            if (node.Running)
            {
                StartFailover(node);
            }
        }
        else if (roll < 40)
        {
            if (node.Up && down < _nodes.Count - 1)
            {
                Crash(node);
            }
        }
        else if (roll < 65)
        {
            if (!node.Up)
            {
                Restart(node, wiped: false);
            }
        }
        else if (roll < 80)
        {
            if (node.Up && node.Frozen)
            {
                node.Frozen = false;
                Log($"unfreeze {node.Name}");
            }
            else if (node.Up && down < _nodes.Count - 1)
            {
                node.Frozen = true;
                Counts.Freezes++;
                Log($"freeze {node.Name}");
            }
        }
        else if (roll < 88)
        {
            // Lose a volume: a down replica comes back empty. Only while every other replica is a voter (one volume
            // lost at a time, the failure model), and only with the lost-volume rule (or without it, in a test).
            if (!node.Up && _nodes.All(n => n == node || n.Replica.Voter))
            {
                Restart(node, wiped: true);
            }
        }
        else if (roll < 94)
        {
            _lossRate = _random.NextDouble() * 0.3;
        }
        else
        {
            _duplicateRate = _random.NextDouble() * 0.15;
        }
    }

    private void Heal()
    {
        foreach (var node in _nodes)
        {
            if (!node.Up)
            {
                Restart(node, wiped: false);
            }

            node.Frozen = false;
        }

        _lossRate = 0;
        _duplicateRate = 0;
        Log("heal");
    }

    private void Deliver()
    {
        // Reordering and delay: any message in flight may be the next one.
        var index = _random.Next(_network.Count);
        var message = _network[index];
        var target = Node(message.To);
        if (target.Up && target.Frozen)
        {
            return; // a frozen process does not read its socket; the message waits
        }

        if (_random.NextDouble() < _duplicateRate)
        {
            Counts.Duplicated++;
            Log($"duplicate {message}");
        }
        else
        {
            _network[index] = _network[^1];
            _network.RemoveAt(_network.Count - 1);
        }

        if (!target.Up || _random.NextDouble() < _lossRate)
        {
            Counts.Lost++;
            Log($"lose {message}");
            return;
        }

        Log($"deliver {message}");
        try
        {
            Dispatch(target, message);
        }
        catch (ReplicationProtocolException e)
        {
            // The replica fail-stops rather than do what the protocol forbids (the product's behaviour); the run goes on
            // so the invariants show what the fault would have caused, and the run fails at the end either way.
            _failStop ??= e.Message;
            Log($"fail-stop {target.Name}: {e.Message}");
            _outbox.Clear();
            _acks.Clear();
            Crash(target);
            return;
        }

        AfterEvent(target);
    }

    private void Dispatch(SimNode target, InFlight message)
    {
        var from = message.From;
        switch (message.Message)
        {
            case AppendRequest append:
                target.Replica.OnAppend(from, append, _outbox);
                break;
            case FenceRequest fence:
                target.Replica.OnFence(from, fence, _outbox);
                break;
            case ReadLogRequest read:
                target.Replica.OnReadLog(from, read, _outbox);
                break;
            case AppendReply reply when target.Leader is { } leader:
                leader.OnAppendReply(from, reply, _acks);
                break;
            case FenceReply reply when target.Candidate is { } candidate:
                candidate.OnFenceReply(from, reply);
                NoteFence(candidate);
                break;
            case ReadLogReply reply when target.Candidate is { } candidate:
                candidate.OnReadLogReply(from, reply);
                break;
        }
    }

    private void Flush(SimNode node)
    {
        Log($"flush {node.Name} end{node.Store.End}");
        var wasVoter = node.Replica.Voter;
        node.Replica.Flush(_outbox);
        if (!wasVoter && node.Replica.Voter)
        {
            Counts.Rejoined++;
            Log($"{node.Name} caught up after its lost volume: a voter again");
        }

        node.Leader?.OnLocalFlush(_acks);
        AfterEvent(node);
    }

    private void Tick(SimNode node)
    {
        if (node.Leader is { } leader)
        {
            leader.Replicate(_outbox);
        }
        else if (node.Candidate is { } candidate)
        {
            candidate.Step(_outbox);
            NoteFence(candidate);
        }

        AfterEvent(node);
    }

    private void StartFailover(SimNode node)
    {
        if (!node.Running)
        {
            return;
        }

        var candidate = Candidate.TryBegin(_configuration, node.Replica, _maxBatch, _options.Safety);
        if (candidate is null)
        {
            return;
        }

        Counts.Failovers++;
        Log($"failover {node.Name} -> epoch {candidate.Epoch}");
        node.Leader = null;
        node.Candidate = candidate;
        candidate.Step(_outbox);
        NoteFence(candidate);
        AfterEvent(node);
    }

    private void Crash(SimNode node)
    {
        var keep = _random.Next(3);
        Counts.Crashes++;
        Log($"crash {node.Name} (keeps {keep} unflushed)");
        node.Store = node.Store.Crash(keep);
        node.Up = false;
        node.Frozen = false;
        node.Leader = null;
        node.Candidate = null;
    }

    private void Restart(SimNode node, bool wiped)
    {
        node.Up = true;
        if (wiped)
        {
            Counts.LostVolumes++;
            node.Store = new InMemoryReplicaLogStore();
            var epoch = _configuration.Read().Epoch;
            node.Replica = _options.LostVolumeRule
                ? Replica.OpenAfterLostVolume(node.Name, node.Store, epoch, _nextIncarnation++, _options.Safety)
                : Replica.Open(node.Name, node.Store, _nextIncarnation++, _options.Safety);
            Log($"restart {node.Name} with a lost volume (promise {node.Replica.Promise}, voter {node.Replica.Voter})");
        }
        else
        {
            node.Replica = Replica.Open(node.Name, node.Store, _nextIncarnation++, _options.Safety);
            Log($"restart {node.Name} end{node.Store.DurableEnd} promise {node.Replica.Promise}");
        }
    }

    private long ClientAppend(Leader leader)
    {
        var token = _nextToken++;
        var deposed = _maxServingEpoch > leader.Epoch;
        var id = leader.Append(BitConverter.GetBytes(token), token, startsSegment: _random.Next(8) == 0);
        if (id < 0)
        {
            return 0;
        }

        Log($"append token {token} at {leader.Local.Name} epoch {leader.Epoch} -> id {id}");
        if (!deposed && _issued.TryGetValue(id, out var issued) && issued.Token != token)
        {
            Violation("ids never reused", $"leader of epoch {leader.Epoch} assigned id {id} again; it was issued for token {issued.Token} in epoch {issued.Epoch}");
        }

        if (deposed)
        {
            _acceptedWhileDeposed.Add((leader.Epoch, id));
        }

        return token;
    }

    /// <summary>
    /// A reader reads the last few records through the commit point a replica knows: the leader's (once it serves), or
    /// a follower's (reads of committed records keep working where a replica holds them while no leader serves).
    /// </summary>
    private void Read(SimNode node)
    {
        if (!node.Running)
        {
            return;
        }

        var store = node.Store;
        var leader = node.Leader is { Serving: true } serving ? serving : null;
        var through = leader?.VisibleThroughId ?? node.Replica.Commit.Id;
        var from = Math.Max(0, through - 8);
        Log($"read {node.Name} {(leader is null ? "follower" : "leader")} epoch {leader?.Epoch ?? node.Replica.Promise} ids {from}..{through}");
        for (var id = from; id <= through; id++)
        {
            if (store.RecordAt(id) is { } entry)
            {
                Issue(id, TokenOf(entry), leader?.Epoch ?? entry.Position.Epoch, entry.Position.Epoch, "shown to a reader");
            }
        }
    }

    private void AfterEvent(SimNode node)
    {
        foreach (var send in _outbox)
        {
            // A link holds a bounded number of messages (a full socket buffer): more are lost.
            var onLink = 0;
            foreach (var inFlight in _network)
            {
                if (inFlight.To == send.To && inFlight.From == node.Name)
                {
                    onLink++;
                }
            }

            if (onLink < LinkCapacity)
            {
                _network.Add(new InFlight(node.Name, send.To, send.Message));
            }
        }

        _outbox.Clear();
        foreach (var ack in _acks)
        {
            var leader = node.Leader!;
            var entry = node.Store.RecordAt(ack.Id)
                ?? throw new InvariantViolationException("no lost acknowledgement", _step, $"leader {node.Name} acknowledged id {ack.Id} it does not hold");
            if (TokenOf(entry) != ack.Token)
            {
                Violation("one record per id", $"leader {node.Name} acknowledged token {ack.Token} at id {ack.Id} but holds token {TokenOf(entry)} there");
            }

            Log($"ack token {ack.Token} id {ack.Id} by {node.Name} epoch {leader.Epoch}");
            _ackedTokens.Add(ack.Token);
            Acknowledged++;
            Issue(ack.Id, ack.Token, leader.Epoch, entry.Position.Epoch, "acknowledged");
        }

        _acks.Clear();

        // Roles end when the replica promised a higher epoch; a ready candidate becomes the leader.
        if (node.Leader is { Active: false })
        {
            Log($"{node.Name} steps down from epoch {node.Leader.Epoch}");
            node.Leader = null;
        }

        if (node.Candidate is { } candidate)
        {
            if (candidate.State == CandidateState.Failed || node.Replica.Promise > candidate.Epoch)
            {
                Log($"{node.Name} gives up epoch {candidate.Epoch}");
                node.Candidate = null;
            }
            else if (candidate.State == CandidateState.Ready)
            {
                node.Candidate = null;
                node.Leader = candidate.BecomeLeader();
                Log($"{node.Name} leads epoch {node.Leader.Epoch} from {node.Leader.EpochStart} commit {node.Leader.Commit}");
            }
        }
    }

    private void NoteFence(Candidate candidate)
    {
        if (candidate.FencedMajority && _fencedEpochs.Add(candidate.Epoch))
        {
            Log($"epoch {candidate.Epoch} fenced a majority");
        }
    }

    private void Issue(long id, long token, long epoch, long entryEpoch, string how)
    {
        if (_acceptedWhileDeposed.Contains((entryEpoch, id)))
        {
            Violation("a deposed leader cannot acknowledge", $"id {id} (token {token}), appended by the leader of epoch {entryEpoch} after a leader of a higher epoch served, was {how}");
        }

        if (_issued.TryGetValue(id, out var issued))
        {
            if (issued.Token != token)
            {
                Violation("one record per id", $"id {id} was {issued.How} as token {issued.Token} (epoch {issued.Epoch}) and now {how} as token {token} (epoch {epoch})");
            }

            return;
        }

        _issued.Add(id, new Issued(token, epoch, how));
        foreach (var node in _nodes)
        {
            if (node.Leader is { Serving: true } leader && leader.Epoch >= epoch)
            {
                RequireHeld(node, id, token, epoch, how);
            }
        }
    }

    private void Check()
    {
        // A leader that starts serving must hold every record issued in its epoch or earlier; while it serves, its
        // log only grows, so records issued later are checked when they are issued.
        foreach (var node in _nodes)
        {
            if (node.Leader is { Serving: true } leader && !node.CheckedLeaders.Contains(leader))
            {
                node.CheckedLeaders.Add(leader);
                _maxServingEpoch = Math.Max(_maxServingEpoch, leader.Epoch);
                Leaders++;
                foreach (var (id, issued) in _issued)
                {
                    if (issued.Epoch <= leader.Epoch)
                    {
                        RequireHeld(node, id, issued.Token, issued.Epoch, issued.How);
                    }
                }
            }
        }
    }

    private void RequireHeld(SimNode node, long id, long token, long epoch, string how)
    {
        var held = node.Store.RecordAt(id);
        if (held is null || TokenOf(held) != token)
        {
            var invariant = how == "acknowledged" ? "no lost acknowledgement" : "readers see only committed records";
            Violation(invariant, $"id {id} (token {token}) was {how} in epoch {epoch}, but the serving leader {node.Name} of epoch {node.Leader!.Epoch} holds {(held is null ? "nothing" : "token " + TokenOf(held))} there");
        }
    }

    private static long TokenOf(ReplicaEntry entry) => BitConverter.ToInt64(entry.Payload.Span);

    private SimNode Node(string name) => _nodes.First(n => n.Name == name);

    private void Violation(string invariant, string detail)
    {
        Log($"VIOLATION {invariant}: {detail}");
        throw new InvariantViolationException(invariant, _step, detail);
    }

    private void Log(string line) => _trace?.Add(string.Create(CultureInfo.InvariantCulture, $"{_step,6} {line}"));

    private sealed record Issued(long Token, long Epoch, string How);

    /// <summary>Event counts of a run (or, added up, of many).</summary>
    internal sealed class SimulationCounts
    {
        public long Lost { get; set; }

        public long Duplicated { get; set; }

        public long Crashes { get; set; }

        public long Freezes { get; set; }

        public long LostVolumes { get; set; }

        public long Rejoined { get; set; }

        public long Failovers { get; set; }

        public void Add(SimulationCounts other)
        {
            Lost += other.Lost;
            Duplicated += other.Duplicated;
            Crashes += other.Crashes;
            Freezes += other.Freezes;
            LostVolumes += other.LostVolumes;
            Rejoined += other.Rejoined;
            Failovers += other.Failovers;
        }

        public override string ToString()
            => $"{Failovers} failovers started, {Crashes} crashes, {Freezes} freezes, {LostVolumes} lost volumes ({Rejoined} caught up and voting again), {Lost} messages lost, {Duplicated} duplicated";
    }

    private sealed record InFlight(string From, string To, ReplicationMessage Message)
    {
        public override string ToString() => $"{From}->{To} {Message}";
    }

    private sealed class SimNode(string name, InMemoryReplicaLogStore store, Replica replica)
    {
        public string Name { get; } = name;

        public InMemoryReplicaLogStore Store { get; set; } = store;

        public Replica Replica { get; set; } = replica;

        public bool Up { get; set; } = true;

        public bool Frozen { get; set; }

        public bool Running => Up && !Frozen;

        public Leader? Leader { get; set; }

        public Candidate? Candidate { get; set; }

        public HashSet<Leader> CheckedLeaders { get; } = [];
    }
}
