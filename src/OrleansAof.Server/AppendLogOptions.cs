using OrleansAof.Storage;

namespace OrleansAof.Server;

/// <summary>
/// Every setting of the append log on a silo. Bind it with <c>siloBuilder.AddAppendLog(o => ...)</c>; bad values are
/// rejected at silo start by <see cref="AppendLogOptionsValidator"/> with the option's name in the message.
/// </summary>
public sealed class AppendLogOptions
{
    /// <summary>Folder under which each partition has its directory <c>{DataRoot}/{log}/{partition}</c>. Required.</summary>
    public string DataRoot { get; set; } = "";

    /// <summary>
    /// When set, partitions live under <c>{DataRoot}/{silo name}</c>: silos that share a disk (several silos in one
    /// test process) keep apart. Default false.
    /// </summary>
    public bool DataRootPerSilo { get; set; }

    /// <summary>This silo's stable name; default: the Orleans silo name (<c>SiloOptions.SiloName</c>).</summary>
    public string? SiloName { get; set; }

    /// <summary>
    /// The names of the silos that own partitions. A partition's owner is a deterministic function of its key over these
    /// names (rendezvous hashing), so it does not depend on which silos are up. Empty (the default) means every active
    /// silo is a candidate, which is only stable on a single silo.
    /// </summary>
    public IList<string> Silos { get; set; } = [];

    /// <summary>
    /// Operator overrides of ownership: key <c>{log}/{partition}</c> (or just <c>{log}</c> for every partition of a log),
    /// value a silo name from <see cref="Silos"/>. An exact partition key wins over a log name.
    /// </summary>
    public IDictionary<string, string> OwnerOverrides { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// How many silos hold each partition (docs/replication.md): 1, 3 or 5. With 1 (the default) a partition lives on its
    /// owner only, exactly as without replication. With 3 or 5 its replica set is the first that many silos of the
    /// rendezvous ranking of the partition over <see cref="Silos"/> (or over the active silos when none are configured);
    /// an append is acknowledged once it is durable on a majority of them, and a live replica takes over when the leader's
    /// silo dies. Every silo of a cluster must use the same value. <see cref="LogReplicationFactors"/> overrides it per log.
    /// </summary>
    public int ReplicationFactor { get; set; } = 1;

    /// <summary>Per-log overrides of <see cref="ReplicationFactor"/>: key a log name, value 1, 3 or 5.</summary>
    public IDictionary<string, int> LogReplicationFactors { get; set; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>
    /// Replicated partitions: how long an append (or a new leader's failover) waits for a majority of the replica set
    /// before it fails with the retryable <c>PartitionUnavailableException</c>. Default 2 s; between 100 ms and 1 minute.
    /// </summary>
    public TimeSpan ReplicationQuorumTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The replication factor of <paramref name="log"/>: its entry in <see cref="LogReplicationFactors"/>, else <see cref="ReplicationFactor"/>.</summary>
    public int ReplicationFactorOf(string log)
        => LogReplicationFactors is { Count: > 0 } perLog && perLog.TryGetValue(log, out var factor) ? factor : ReplicationFactor;

    /// <summary>The flush policy partitions open with, in the engine's text form (<c>Sync</c>, <c>Batched:1000</c>, <c>Periodic:00:00:00.010</c>, <c>BatchedOrPeriodic:1000:00:00:00.010</c>, <c>Async</c>). Default <c>Sync</c>.</summary>
    public string FlushPolicy { get; set; } = PartitionLogDefaults.FlushPolicy;

    /// <summary>A segment is sealed and the next one started before it would exceed this size. Default 64 MiB.</summary>
    public long MaxSegmentBytes { get; set; } = PartitionLogDefaults.MaxSegmentBytes;

    /// <summary>A non-empty active segment older than this is sealed. Default: no age limit.</summary>
    public TimeSpan? MaxSegmentAge { get; set; }

    /// <summary>The largest payload one record may carry. Default 1 MiB; at most a quarter of <see cref="MaxSegmentBytes"/>.</summary>
    public int MaxRecordBytes { get; set; } = PartitionLogDefaults.MaxRecordBytes;

    /// <summary>Bound on bytes written but not yet flushed per partition; beyond it appends fail with <c>LogBackpressureException</c> or wait (<see cref="BackpressureMode"/>). Default 64 MiB.</summary>
    public long MaxUnflushedBytes { get; set; } = PartitionLogDefaults.MaxUnflushedBytes;

    /// <summary>What an append does at <see cref="MaxUnflushedBytes"/>. Default <see cref="Storage.BackpressureMode.FailFast"/>.</summary>
    public BackpressureMode BackpressureMode { get; set; } = BackpressureMode.FailFast;

    /// <summary>How the next segment file is prepared. Default <see cref="PreallocationMode.Auto"/> (zero-filled under <c>Sync</c>, reserved otherwise).</summary>
    public PreallocationMode Preallocation { get; set; } = PreallocationMode.Auto;

    /// <summary>A partition grain that received no call for this long is deactivated: flushed and closed. Default 15 minutes; at least 1 minute.</summary>
    public TimeSpan IdleDeactivationAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The most partitions open at once on this silo (each holds its active segment, catalog and lock file open). A partition
    /// opened beyond it asks the least recently used open partition to deactivate: it is flushed and closed, and reopens
    /// on its next call. Zero: no bound (idle partitions still close after <see cref="IdleDeactivationAge"/>). Default 4,096.
    /// </summary>
    public int MaxOpenPartitions { get; set; } = 4096;

    /// <summary>Whether a deactivating partition also seals its active segment. Default false.</summary>
    public bool SealOnDeactivate { get; set; }

    /// <summary>The stream provider that carries <see cref="TailAdvanced"/> notifications; empty disables stream notifications. Default <see cref="AppendLogStreams.DefaultProviderName"/>.</summary>
    public string? TailStreamProvider { get; set; } = AppendLogStreams.DefaultProviderName;

    /// <summary>
    /// At most one stream notification per partition per interval (always the newest durable id, sent at the end of the
    /// interval). The stream wakes inactive subscribers; active ones get the direct push at once (<see cref="DirectTailPush"/>),
    /// so pacing the stream keeps a fan-out of many subscribers cheap. Zero publishes every advance. Default 50 ms.
    /// </summary>
    public TimeSpan StreamNotificationInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Whether <c>AddAppendLog</c> registers a memory stream provider named <see cref="TailStreamProvider"/>. Default true.</summary>
    public bool AddMemoryStreams { get; set; } = true;

    /// <summary>
    /// Whether <c>AddAppendLog</c> registers an in-memory <c>PubSubStore</c> grain storage (where Orleans streams keep
    /// explicit subscriptions) when the silo has none. Default true, for a development silo: explicit stream subscriptions
    /// are then lost with the cluster. Set it to false on a durable silo and register a durable storage under that name
    /// (<c>siloBuilder.AddRedisGrainStorage("PubSubStore", ...)</c>, <c>AddAdoNetGrainStorage("PubSubStore", ...)</c>);
    /// the silo then refuses to start when none is registered.
    /// </summary>
    public bool MemoryPubSubStore { get; set; } = true;

    /// <summary>How often the memory stream pulling agents poll their queues. Orleans' default is 100 ms; the log's default 10 ms keeps wake-ups of inactive subscribers quick. At least 1 ms.</summary>
    public TimeSpan MemoryStreamPollPeriod { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// How long a stream's Orleans pub-sub grain (<c>PubSubRendezvousGrain</c>, one per stream that was ever published on)
    /// stays in memory after its last call, and how long the memory stream provider's pulling agent keeps a stream that
    /// carried nothing. Every partition's tail stream has one, so a silo that serves thousands of partitions holds
    /// thousands of them for Orleans' default 15 minutes (30 in the agent) without this. Applies to every stream on the
    /// silo; explicit subscriptions stay in the <c>PubSubStore</c>. Default 2 minutes; Orleans requires it to be longer
    /// than <c>GrainCollectionOptions.CollectionQuantum</c> (1 minute by default) and names both at start-up otherwise.
    /// </summary>
    public TimeSpan StreamGrainCollectionAge { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Queues of the memory stream provider. Default 2.</summary>
    public int MemoryStreamQueues { get; set; } = 2;

    /// <summary>
    /// Whether partitions also push notifications straight to listeners registered with
    /// <see cref="IPartitionGrain.RegisterTailListenerAsync"/> (one-way grain calls; the low-latency path). Default true.
    /// </summary>
    public bool DirectTailPush { get; set; } = true;

    /// <summary>
    /// The direct push carries the newly durable records when they add up to at most this many payload bytes (and 1,024
    /// records), so that a fan-out to many subscribers does not turn into as many reads. Zero: notifications only. Default 64 KiB.
    /// </summary>
    public int InlineTailBytes { get; set; } = 64 * 1024;

    /// <summary>At most this many direct listeners per partition; registrations beyond it are refused (the listener falls back to the stream and its timer). Default 10,000.</summary>
    public int MaxTailListeners { get; set; } = 10_000;

    /// <summary>The longest a tail long poll (<see cref="IPartitionGrain.WaitForTailAsync"/>) waits; keep it below the client's response timeout. Default 10 s.</summary>
    public TimeSpan MaxTailWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Archival: how often each partition's archiver wakes up as a safety net (it is also poked at every seal and retries
    /// a failed run by itself, see <see cref="ArchiveRunRetryDelay"/>). Default 1 minute; at least the reminder service's
    /// minimum period (<c>ReminderOptions.MinimumReminderPeriod</c>, 1 minute unless the silo lowers it).
    /// </summary>
    public TimeSpan ArchiveReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Archival: after a run that failed (an archive outage, a refused key), the archiver runs again after this delay,
    /// doubling it after each further failure up to <see cref="ArchiveRunRetryMaxDelay"/>, until a run succeeds. So
    /// archiving resumes soon after the archive returns, without waiting for the reminder. Default 1 s; at least 10 ms.
    /// </summary>
    public TimeSpan ArchiveRunRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Archival: the longest delay between retries of failed runs (<see cref="ArchiveRunRetryDelay"/>). Default 30 s; at least <see cref="ArchiveRunRetryDelay"/>, at most 1 hour.</summary>
    public TimeSpan ArchiveRunRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Archival: whether a partition pokes its archiver as soon as it seals a segment. Default true.</summary>
    public bool ArchiveOnSeal { get; set; } = true;

    /// <summary>Archival: the most segments one archiver run uploads before it yields (it pokes itself to continue). Default 16.</summary>
    public int MaxArchiveSegmentsPerRun { get; set; } = 16;

    /// <summary>Archival: newest sealed segments always kept on local disk. Default 2 (at least 1).</summary>
    public int KeepLocalSegments { get; set; } = PartitionLogDefaults.KeepLocalSegments;

    /// <summary>Archival: archived segments are evicted only while at least this many bytes of sealed segments stay local. Default 0.</summary>
    public long KeepLocalBytes { get; set; }

    /// <summary>Archival: archived segments are evicted only once sealed at least this long ago. Default zero.</summary>
    public TimeSpan KeepLocalAge { get; set; } = TimeSpan.Zero;

    /// <summary>Archival: appends are refused with <c>LogBackpressureException</c> while more sealed segments than this wait for archival. Default 64.</summary>
    public int MaxArchiveBacklogSegments { get; set; } = PartitionLogDefaults.MaxArchiveBacklogSegments;

    /// <summary>Archival: appends are refused while more bytes than this wait for archival. Default 16 GiB.</summary>
    public long MaxArchiveBacklogBytes { get; set; } = PartitionLogDefaults.MaxArchiveBacklogBytes;

    /// <summary>Total retention: archived segments whose newest record is older than this are deleted and the first id moves past them. Default: keep forever.</summary>
    public TimeSpan? RetentionAge { get; set; }

    /// <summary>Bytes of segments fetched back from the archive kept per partition for reads. Default 512 MiB.</summary>
    public long ArchiveReadCacheBytes { get; set; } = PartitionLogDefaults.ArchiveReadCacheBytes;

    /// <summary>
    /// Whether metrics carry a <c>partition</c> tag besides <c>log</c> (docs/observability.md). Default false: the
    /// partitions of a log are aggregated, so the number of time series does not grow with the number of partitions.
    /// </summary>
    public bool PartitionMetricTags { get; set; }

    /// <summary>
    /// The grain storage that keeps the cluster's run-time ownership table (<see cref="IOwnershipGrain"/>) and each
    /// partition's upper bound of acknowledged ids. <c>AddAppendLog</c> registers an in-memory one under this name when
    /// none is (a development or test cluster); a silo whose cluster membership is durable (Redis, ADO.NET, any table
    /// but Orleans' development and in-process test ones) refuses to start while it is in memory: register a durable one
    /// (<c>AddRedisGrainStorage("AofOwnership", ...)</c>, <c>AddAdoNetGrainStorage("AofOwnership", ...)</c>).
    /// </summary>
    public const string OwnershipStorageName = "AofOwnership";

    /// <summary>The engine options of a partition under <paramref name="dataRoot"/>.</summary>
    internal PartitionLogOptions ToEngineOptions(string dataRoot) => new()
    {
        DataRoot = dataRoot,
        FlushPolicy = Storage.FlushPolicy.Parse(FlushPolicy),
        MaxSegmentBytes = MaxSegmentBytes,
        MaxSegmentAge = MaxSegmentAge,
        MaxRecordBytes = MaxRecordBytes,
        MaxUnflushedBytes = MaxUnflushedBytes,
        BackpressureMode = BackpressureMode,
        Preallocation = Preallocation,
        KeepLocalSegments = KeepLocalSegments,
        KeepLocalBytes = KeepLocalBytes,
        KeepLocalAge = KeepLocalAge,
        MaxArchiveBacklogSegments = MaxArchiveBacklogSegments,
        MaxArchiveBacklogBytes = MaxArchiveBacklogBytes,
        RetentionAge = RetentionAge,
        ArchiveReadCacheBytes = ArchiveReadCacheBytes,
        PartitionMetricTags = PartitionMetricTags,

        // Grains never block on disk I/O: every fsync runs on the partition's flusher, shared by concurrent appends.
        FlushOnCallerThread = false,
    };

    /// <summary>The data root of the silo named <paramref name="siloName"/>.</summary>
    internal string DataRootFor(string siloName) => Path.GetFullPath(DataRootPerSilo ? Path.Combine(DataRoot, siloName) : DataRoot);
}
