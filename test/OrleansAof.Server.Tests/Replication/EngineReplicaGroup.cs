using System.Collections.Immutable;
using FluentAssertions;
using OrleansAof.Server.Replication;
using OrleansAof.Storage;

namespace OrleansAof.Server.Tests.Replication;

/// <summary>
/// A replica set on real files driven in-process by the product's <see cref="Leader"/> and <see cref="Replica"/> (no grains,
/// no network): each replica is an <see cref="EngineReplicaLogStore"/> in its own data root, and <see cref="Pump"/> delivers
/// every message, flushes every replica and hands the replies back until nothing moves.
/// </summary>
internal sealed class EngineReplicaGroup : IAsyncDisposable
{
    private readonly Dictionary<string, Replica> _replicas = new(StringComparer.Ordinal);
    private readonly List<Outgoing> _outbox = [];
    private long _nextIncarnation = 1;

    private EngineReplicaGroup(ImmutableArray<string> names)
    {
        Names = names;
    }

    public ImmutableArray<string> Names { get; }

    public Leader Leader { get; private set; } = null!;

    public List<Acknowledgement> Acknowledged { get; } = [];

    /// <summary>The largest number of appends the leader held back at once, waiting to start a segment.</summary>
    public int MaxDeferred { get; private set; }

    /// <summary>Messages delivered, by type name.</summary>
    public Dictionary<string, int> Delivered { get; } = new(StringComparer.Ordinal);

    public Replica this[string name] => _replicas[name];

    public EngineReplicaLogStore Store(string name) => (EngineReplicaLogStore)_replicas[name].Store;

    /// <summary>Opens replicas <paramref name="names"/> (the first leads epoch 1) with the options <paramref name="options"/> gives for each.</summary>
    public static async Task<EngineReplicaGroup> StartAsync(ImmutableArray<string> names, Func<string, PartitionLogOptions> options, Func<string, PartitionLogEnvironment>? environment = null, int maxBatch = 64)
    {
        var group = new EngineReplicaGroup(names);
        foreach (var name in names)
        {
            var store = await EngineReplicaLogStore.OpenAsync("log", "p0", options(name), environment?.Invoke(name));
            group._replicas[name] = Replica.Open(name, store, group._nextIncarnation++);
        }

        var leader = group._replicas[names[0]];
        leader.Fence(1);
        group.Leader = new Leader(new ReplicationConfiguration(1, names[0], names), leader, LogPosition.Start, maxBatch);
        group.Pump();
        group.Leader.Serving.Should().BeTrue("the epoch start is on every replica");
        return group;
    }

    /// <summary>Appends through the leader; returns the id.</summary>
    public long Append(byte[] payload, long token)
    {
        var id = Leader.Append(payload, token);
        id.Should().BeGreaterThanOrEqualTo(0, "the leader serves");
        MaxDeferred = Math.Max(MaxDeferred, Leader.Deferred);
        return id;
    }

    /// <summary>
    /// The leader's replica leads the next epoch over its own log (a failover that adopts the leader's log, as when the
    /// failure detector wrongly suspected it): the log gains an epoch start, later records the new epoch.
    /// </summary>
    public void NextEpoch(int maxBatch = 64)
    {
        var local = _replicas[Names[0]];
        var epoch = Leader.Epoch + 1;
        local.Fence(epoch);
        Leader = new Leader(new ReplicationConfiguration(epoch, Names[0], Names), local, Leader.Commit, maxBatch);
        Pump();
        Leader.Serving.Should().BeTrue($"the epoch start of epoch {epoch} is committed");
    }

    /// <summary>Replaces replica <paramref name="name"/>'s store (a wiped or reopened volume) and its replica state machine.</summary>
    public void Replace(string name, EngineReplicaLogStore store, bool lostVolume)
        => _replicas[name] = lostVolume
            ? Replica.OpenAfterLostVolume(name, store, Leader.Epoch, _nextIncarnation++)
            : Replica.Open(name, store, _nextIncarnation++);

    /// <summary>Rounds of replicate, deliver, flush and reply until no message is left and the leader has nothing deferred.</summary>
    public void Pump(int maxRounds = 10_000, IReadOnlySet<string>? down = null)
    {
        var leaderName = Names[0];
        for (var round = 0; round < maxRounds; round++)
        {
            var moved = false;
            _outbox.Clear();
            Leader.Replicate(_outbox);
            var replies = new List<(string From, ReplicationMessage Message)>();
            var fromReplica = new List<Outgoing>();
            foreach (var message in _outbox)
            {
                if (down?.Contains(message.To) == true)
                {
                    continue;
                }

                var replica = _replicas[message.To];
                Count(message.Message);
                fromReplica.Clear();
                switch (message.Message)
                {
                    case AppendRequest append:
                        moved |= append.Entries.Count > 0;
                        replica.OnAppend(leaderName, append, fromReplica);
                        break;
                    case InstallSegmentRequest install:
                        moved = true;
                        replica.OnInstallSegment(leaderName, install, fromReplica);
                        break;
                    default:
                        throw new InvalidOperationException($"Unexpected message {message.Message.GetType().Name}.");
                }

                replies.AddRange(fromReplica.Select(o => (message.To, o.Message)));
            }

            foreach (var name in Names)
            {
                if (down?.Contains(name) != true)
                {
                    fromReplica.Clear();
                    _replicas[name].Flush(fromReplica);
                    replies.AddRange(fromReplica.Select(o => (name, o.Message)));
                }
            }

            Leader.OnLocalFlush(Acknowledged);
            foreach (var (from, reply) in replies)
            {
                if (reply is AppendReply appendReply && from != leaderName)
                {
                    Count(appendReply);
                    moved |= appendReply.Reason != RefusalReason.None;
                    Leader.OnAppendReply(from, appendReply, Acknowledged);
                }
            }

            MaxDeferred = Math.Max(MaxDeferred, Leader.Deferred);
            if (!moved && Leader.Deferred == 0 && round > 0)
            {
                return;
            }
        }

        throw new InvalidOperationException($"The replica set did not settle in {maxRounds} rounds.");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas.Values)
        {
            await ((EngineReplicaLogStore)replica.Store).DisposeAsync();
        }
    }

    private void Count(ReplicationMessage message)
        => Delivered[message.GetType().Name] = Delivered.GetValueOrDefault(message.GetType().Name) + 1;
}
