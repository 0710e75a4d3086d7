using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansAof.Server.Replication;
using OrleansAof.Storage;

namespace OrleansAof.Server.Replicated;

/// <summary>
/// The replicated partitions' replicas open on this silo, one per partition, shared by the partition's replica grain on
/// this silo and its partition grain when this silo leads (both drive the same <see cref="Replica"/>). A replica stays
/// open until the silo stops (or its services are disposed, as when an in-process silo is killed), which releases the
/// partitions' lock files.
/// </summary>
internal sealed class ReplicaNodes : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ReplicaNode>>> _nodes = new(StringComparer.Ordinal);
    private readonly AppendLogOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;

    public ReplicaNodes(IOptions<AppendLogOptions> options, ILocalSiloDetails silo, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _options = options.Value;
        SiloName = _options.SiloName ?? silo.Name;
        _loggerFactory = loggerFactory;
        _time = time;
    }

    /// <summary>This silo's name, the replica's name in every replica set.</summary>
    public string SiloName { get; }

    /// <summary>The replicas open on this silo, by partition key.</summary>
    public IEnumerable<string> OpenKeys => _nodes.Keys;

    /// <summary>The partitions whose replica on this silo last followed a leader on <paramref name="silo"/>.</summary>
    public List<string> FollowingLeaderOn(string silo)
    {
        var keys = new List<string>();
        foreach (var (key, lazy) in _nodes)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully && string.Equals(lazy.Value.Result.LastLeader, silo, StringComparison.Ordinal))
            {
                keys.Add(key);
            }
        }

        return keys;
    }

    /// <summary>
    /// The replica of <paramref name="key"/> on this silo, opened (and created) on first use. A folder that is missing
    /// once a leader has served is a lost volume: the replica opens as a non-voter that
    /// promises the configuration's epoch (docs/replication.md, "Lost volumes"); <paramref name="lostVolumeEpoch"/> says
    /// which epoch that is, or 0 while no leader has served (a missing folder is then only a new replica).
    /// </summary>
    public Task<ReplicaNode> GetAsync(string key, Func<Task<long>> lostVolumeEpoch)
    {
        var lazy = _nodes.GetOrAdd(key, k => new Lazy<Task<ReplicaNode>>(() => OpenAsync(k, lostVolumeEpoch)));
        var task = lazy.Value;
        if (task.IsFaulted || task.IsCanceled)
        {
            // A failed open is tried again by the next caller.
            _nodes.TryRemove(new KeyValuePair<string, Lazy<Task<ReplicaNode>>>(key, lazy));
        }

        return task;
    }

    private async Task<ReplicaNode> OpenAsync(string key, Func<Task<long>> lostVolumeEpoch)
    {
        var (log, partition) = PartitionKey.Parse(key);
        var dataRoot = _options.DataRootFor(SiloName);
        var engineOptions = _options.ToEngineOptions(dataRoot);
        engineOptions.CreateIfMissing = true;
        var existed = Directory.Exists(Path.Combine(dataRoot, log, partition));
        var epoch = existed ? 0 : await lostVolumeEpoch().ConfigureAwait(false);
        var environment = new PartitionLogEnvironment { LoggerFactory = _loggerFactory, TimeProvider = _time };
        EngineReplicaLogStore? store = null;
        try
        {
            store = await EngineReplicaLogStore.OpenAsync(log, partition, engineOptions, environment).ConfigureAwait(false);
            var incarnation = Random.Shared.NextInt64(1, long.MaxValue);
            var replica = epoch > 0
                ? Replica.OpenAfterLostVolume(SiloName, store, epoch, incarnation)
                : Replica.Open(SiloName, store, incarnation);
            return new ReplicaNode(key, store, replica);
        }
        catch (Storage.AppendLogException e)
        {
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            throw EngineErrors.ToContract(e, key);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, lazy) in _nodes)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            {
                await lazy.Value.Result.DisposeAsync().ConfigureAwait(false);
            }
        }

        _nodes.Clear();
    }
}
