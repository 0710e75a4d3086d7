using OrleansAof.Storage.Internal;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage;

/// <summary>
/// One partition of a log: a totally ordered sequence of records with dense ids from 0, stored in segment files under
/// <c>{DataRoot}/{log}/{partition}</c>. One writer per directory (an exclusive lock file). Thread-safe.
/// </summary>
/// <remarks>
/// <para>Appends are written to the operating system before they return and made durable under the
/// <see cref="FlushPolicy"/>; under <see cref="FlushPolicyKind.Sync"/> the returned task completes only after the
/// fsync that covers the record (appends that arrive during an fsync share the next one).</para>
/// <para>Reads see durable records unless asked otherwise. After an I/O error on write or fsync the partition is
/// <see cref="PartitionState.Faulted"/> and refuses appends until it is reopened.</para>
/// </remarks>
public sealed class PartitionLog : IAsyncDisposable
{
    // A facade: each behaviour lives in a part of its own under Internal/ (see docs/code-map.md, "Engine").
    private readonly PartitionDirectory _dir;
    private readonly PartitionLogOptions _options;
    private readonly IStorageFile _lockFile;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly SegmentSet _segments;
    private readonly PartitionCatalog _catalog;
    private readonly FetchedSegmentCache _cache;
    private readonly PartitionArchival _archival;
    private readonly WriterState _state;
    private readonly FlushMetrics _metrics;
    private readonly ActiveSegmentWriter _writer;
    private readonly PartitionReader _reader;

    internal PartitionLog(RecoveredPartition recovered)
    {
        var env = recovered.Environment;
        var logger = env.LoggerFactory.CreateLogger("OrleansAof.Storage.PartitionLog");
        _dir = recovered.Directory;
        _options = recovered.Options;
        _lockFile = recovered.LockFile;
        var metrics = _metrics = new FlushMetrics(_dir.Log, _dir.Partition, _options.PartitionMetricTags);
        _state = new WriterState(_dir.FullName, logger, recovered.Active.LastId, recovered.LastTimestampMicros, _options.FlushPolicy, recovered.FaultReason);
        _segments = new SegmentSet(env.FileSystem, _options, recovered.Sealed, recovered.Active);
        _catalog = new PartitionCatalog(recovered.Catalog, recovered.Rows, recovered.FirstId, env.Archive is not null, logger, _dir.FullName);
        _cache = new FetchedSegmentCache(env.Archive, _dir, env.FileSystem, _segments, _options.ArchiveReadCacheBytes, _shutdown.Token);
        _archival = new PartitionArchival(_dir, _options, env, logger, _segments, _catalog, _cache);
        var sealer = new SegmentSealer(recovered, logger, _state, _segments, _catalog, metrics, _shutdown.Token);
        var commit = new GroupCommit(_state, _segments, metrics, env.TimeProvider, _options);
        _writer = new ActiveSegmentWriter(recovered, logger, _state, commit, _segments, _archival, sealer);
        _reader = new PartitionReader(_dir, _options, _segments, _catalog, _cache, _archival, _state);
        StorageInstruments.Register(this);
    }

    /// <summary>Default byte budget of one read.</summary>
    public const long DefaultMaxReadBytes = 4L * 1024 * 1024;

    /// <summary>The log's name.</summary>
    public string Log => _dir.Log;

    internal bool PartitionMetricTags => _options.PartitionMetricTags;

    /// <summary>The partition's name.</summary>
    public string Partition => _dir.Partition;

    /// <summary>The partition's directory.</summary>
    public string DirectoryPath => _dir.DirectoryPath;

    /// <summary>This writer's epoch: one more than any before it in this directory; stamped into new segment headers.</summary>
    public long WriterEpoch => _writer.WriterEpoch;

    /// <summary>Open, faulted or closed.</summary>
    public PartitionState State => _state.CurrentState;

    /// <summary>Why the partition is faulted, if it is.</summary>
    public string? FaultReason => _state.CurrentFaultReason;

    /// <summary>The last id written (-1 when empty). Not necessarily durable.</summary>
    public long LastId => Volatile.Read(ref _state.LastId);

    /// <summary>The last id known durable (-1 when none).</summary>
    public long DurableId => Volatile.Read(ref _state.DurableId);

    /// <summary>The first id still held (0 unless retention removed older records).</summary>
    public long FirstId => _catalog.FirstId;

    /// <summary>The id the next append gets.</summary>
    public long NextId => LastId + 1;

    /// <summary>The current flush policy.</summary>
    public FlushPolicy FlushPolicy => _writer.FlushPolicy;

    /// <summary>The options the partition was opened with.</summary>
    public PartitionLogOptions Options => _options.Clone();

    /// <summary>Sealed segments (and their bytes) waiting for archival. Zero when no archive is configured.</summary>
    public (int Segments, long Bytes) ArchiveBacklog => _catalog.ArchiveBacklog;

    internal PartitionCatalog Catalog => _catalog;

    internal ActiveSegmentWriter Writer => _writer;

    /// <summary>
    /// Opens (creating when missing) the partition <paramref name="log"/>/<paramref name="partition"/> under
    /// <see cref="PartitionLogOptions.DataRoot"/> and recovers it: sealed segments open from their footers; the active
    /// segment is scanned, a torn tail is cut back to the acknowledged prefix, and damage in durable data is reported
    /// (the partition then opens <see cref="PartitionState.Faulted"/> and serves what is intact).
    /// </summary>
    /// <exception cref="InvalidLogOptionsException">An option is invalid.</exception>
    /// <exception cref="InvalidPartitionNameException">A name is invalid.</exception>
    /// <exception cref="PartitionLockedException">Another writer holds the directory.</exception>
    public static Task<PartitionLog> OpenAsync(string log, string partition, PartitionLogOptions options, PartitionLogEnvironment? environment = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var opts = options.Clone();
        opts.Validate();
        var dir = new PartitionDirectory(opts.DataRoot, log, partition);
        var env = environment ?? PartitionLogEnvironment.Default;
        return opts.CreateIfMissing ? OpenCoreAsync(dir, opts, env, cancellationToken) : OpenIfCreatedAsync(dir, opts, env, cancellationToken);
    }

    private static async Task<PartitionLog> OpenIfCreatedAsync(PartitionDirectory dir, PartitionLogOptions options, PartitionLogEnvironment env, CancellationToken cancellationToken)
    {
        await PartitionOpener.ThrowIfNeverCreatedAsync(dir, env, cancellationToken).ConfigureAwait(false);
        return await OpenCoreAsync(dir, options, env, cancellationToken).ConfigureAwait(false);
    }

    private static Task<PartitionLog> OpenCoreAsync(PartitionDirectory dir, PartitionLogOptions options, PartitionLogEnvironment env, CancellationToken cancellationToken) =>
        StorageTelemetry.EndRecovery(StorageTelemetry.StartRecovery(dir.Log, dir.Partition), PartitionOpener.OpenAsync(dir, options, env, cancellationToken));

    /// <summary>
    /// What <see cref="ReadAsync"/> (or <see cref="ReadBackwardAsync"/>) answers for a partition that does not exist
    /// (<see cref="PartitionNotFoundException"/>): the same checks as on an empty partition, and an empty batch.
    /// </summary>
    /// <exception cref="InvalidRangeException">A negative id or a non-positive limit.</exception>
    /// <exception cref="ReadBeyondTailException"><paramref name="fromId"/> is past 0.</exception>
    public static RecordBatch ReadNeverCreated(long fromId, int maxRecords, long maxBytes, bool backward = false)
    {
        SegmentReads.ValidateLimits(fromId, maxRecords, maxBytes);
        return fromId > 0 ? throw new ReadBeyondTailException(fromId, 0) : new RecordBatch([], [], backward ? -1 : 0);
    }

    /// <summary>A snapshot of the partition and its segments.</summary>
    public PartitionInfo GetInfo()
    {
        lock (_state.Sync)
        {
            var active = _segments.Active;
            var segments = _catalog.Snapshot();

            // While a seal runs, the sealed row may already be in the catalog: the segment is still the active one here.
            segments.RemoveAll(r => _state.SealDone is not null && r.BaseId == active.BaseId);
            segments.Add(PartitionRecovery.ActiveRow(active));
            segments.Sort(static (a, b) => a.BaseId.CompareTo(b.BaseId));
            return new PartitionInfo(Log, Partition, _state.State, _state.FaultReason, _catalog.FirstId, _state.LastId, _state.DurableId, WriterEpoch, _state.Policy, segments);
        }
    }

    /// <summary>Flush statistics since the partition was opened.</summary>
    public FlushMetricsSnapshot GetFlushMetrics() => _metrics.Snapshot(Volatile.Read(ref _state.PendingRecords), Volatile.Read(ref _state.UnflushedBytes));

    /// <summary>
    /// Appends one record. The returned task completes once the record is written to the operating system, and under
    /// <see cref="FlushPolicyKind.Sync"/> once it is durable too (group commit). Steady-state calls allocate nothing.
    /// </summary>
    /// <param name="payload">The record's bytes (at most <see cref="PartitionLogOptions.MaxRecordBytes"/>).</param>
    /// <param name="expectedLastId">When set, the append happens only if the partition's last id is this value (-1 for an empty partition).</param>
    /// <param name="cancellationToken">Stops waiting for durability; the record stays written.</param>
    /// <exception cref="RecordTooLargeException">The payload is too large.</exception>
    /// <exception cref="ExpectedLastIdMismatchException">The last id differs from <paramref name="expectedLastId"/>.</exception>
    /// <exception cref="LogBackpressureException">Too many bytes are unflushed and <see cref="BackpressureMode.FailFast"/> is set.</exception>
    /// <exception cref="PartitionFaultedException">The partition stopped after an I/O error.</exception>
    public ValueTask<AppendResult> AppendAsync(ReadOnlyMemory<byte> payload, long? expectedLastId = null, CancellationToken cancellationToken = default)
        => AppendAsync(payload, expectedLastId, producer: null, cancellationToken);

    /// <summary>Appends one record, idempotently when <paramref name="producer"/> is set (see <see cref="ProducerStamp"/>).</summary>
    /// <exception cref="StaleSequenceException">The stamp is older than the producer's last acknowledged batch.</exception>
    /// <inheritdoc cref="AppendAsync(ReadOnlyMemory{byte}, long?, CancellationToken)"/>
    public ValueTask<AppendResult> AppendAsync(ReadOnlyMemory<byte> payload, long? expectedLastId, ProducerStamp? producer, CancellationToken cancellationToken = default)
    {
        var activity = StorageTelemetry.StartAppend(Log, Partition, 1);
        try
        {
            return StorageTelemetry.EndAppend(
                activity,
                producer is null
                    ? _writer.AppendAsync(payload, expectedLastId, cancellationToken)
                    : _writer.AppendBatchAsync([payload], expectedLastId, producer, cancellationToken));
        }
        catch (Exception e)
        {
            StorageTelemetry.Fail(activity, e);
            throw;
        }
    }

    /// <summary>
    /// Appends records with consecutive ids in one write. A batch is atomic under recovery: after a crash either all of it
    /// is present or none of it.
    /// </summary>
    /// <exception cref="EmptyBatchException">The batch is empty.</exception>
    /// <exception cref="BatchTooLargeException">The batch would not fit in one segment.</exception>
    /// <inheritdoc cref="AppendAsync(ReadOnlyMemory{byte}, long?, CancellationToken)"/>
    public ValueTask<AppendResult> AppendBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> payloads, long? expectedLastId = null, CancellationToken cancellationToken = default)
        => AppendBatchAsync(payloads, expectedLastId, producer: null, cancellationToken);

    /// <summary>Appends a batch, idempotently when <paramref name="producer"/> is set (see <see cref="ProducerStamp"/>).</summary>
    /// <exception cref="StaleSequenceException">The stamp is older than the producer's last acknowledged batch.</exception>
    /// <inheritdoc cref="AppendBatchAsync(IReadOnlyList{ReadOnlyMemory{byte}}, long?, CancellationToken)"/>
    public ValueTask<AppendResult> AppendBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> payloads, long? expectedLastId, ProducerStamp? producer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        var activity = StorageTelemetry.StartAppend(Log, Partition, payloads.Count);
        try
        {
            return StorageTelemetry.EndAppend(activity, _writer.AppendBatchAsync(payloads, expectedLastId, producer, cancellationToken));
        }
        catch (Exception e)
        {
            StorageTelemetry.Fail(activity, e);
            throw;
        }
    }

    /// <summary>
    /// Appends one record and returns once it is written to the operating system, without waiting for durability under
    /// any policy (use <see cref="WaitForDurableAsync"/>). Backpressure always fails fast here.
    /// </summary>
    /// <inheritdoc cref="AppendAsync(ReadOnlyMemory{byte}, long?, CancellationToken)"/>
    public AppendResult Append(ReadOnlySpan<byte> payload, long? expectedLastId = null) => _writer.Append(payload, expectedLastId);

    /// <summary>Makes everything appended so far durable; returns the durable id.</summary>
    /// <exception cref="PartitionFaultedException">The flush failed or the partition is faulted.</exception>
    public ValueTask<long> FlushAsync(CancellationToken cancellationToken = default) => _writer.FlushAsync(cancellationToken);

    /// <summary>Completes when id <paramref name="id"/> is durable (does not start a flush).</summary>
    /// <exception cref="InvalidRangeException"><paramref name="id"/> is not written yet.</exception>
    /// <exception cref="PartitionFaultedException">The flush that would cover it failed.</exception>
    public ValueTask WaitForDurableAsync(long id, CancellationToken cancellationToken = default) => _state.WaitForDurableAsync(id, cancellationToken);

    /// <summary>Completes with the durable id once it is greater than <paramref name="knownDurableId"/> (or the partition closes).</summary>
    public ValueTask<long> WaitForDurableAdvanceAsync(long knownDurableId, CancellationToken cancellationToken = default) => _state.WaitForDurableAdvanceAsync(knownDurableId, cancellationToken);

    /// <summary>Seals the active segment (metadata, index, footer, fsync) and starts the next one. Returns the sealed segment, or null when the active one is empty.</summary>
    public Task<SegmentInfo?> SealAsync(CancellationToken cancellationToken = default) => _writer.SealAsync(cancellationToken);

    /// <summary>Switches the flush policy; the switch is a flush boundary (everything before it is flushed).</summary>
    public ValueTask SetFlushPolicyAsync(FlushPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return _writer.SetFlushPolicyAsync(policy, cancellationToken);
    }

    /// <summary>
    /// Reads records from <paramref name="fromId"/> upward, at most <paramref name="maxRecords"/> records and about
    /// <paramref name="maxBytes"/> payload bytes (at least one record when any is available). Only durable records unless
    /// <paramref name="includeUndurable"/> is set. Reading at <see cref="NextId"/> returns an empty batch (a tail poll).
    /// Every record's checksum is verified; damaged data is reported, never returned.
    /// </summary>
    /// <exception cref="InvalidRangeException">A negative id or a non-positive limit.</exception>
    /// <exception cref="ReadBeyondTailException"><paramref name="fromId"/> is past <see cref="NextId"/>.</exception>
    /// <exception cref="RecordTrimmedException"><paramref name="fromId"/> is below <see cref="FirstId"/>.</exception>
    /// <exception cref="SegmentCorruptedException">The data failed its checksum.</exception>
    public ValueTask<RecordBatch> ReadAsync(long fromId, int maxRecords = 1000, long maxBytes = DefaultMaxReadBytes, bool includeUndurable = false, CancellationToken cancellationToken = default)
        => _reader.ReadAsync(fromId, maxRecords, maxBytes, includeUndurable, cancellationToken);

    /// <summary>
    /// Reads records downward from <paramref name="fromId"/> (inclusive), newest first. An id past the visible tail but not
    /// past <see cref="NextId"/> starts at the newest visible record; an id past <see cref="NextId"/> is refused like
    /// <see cref="ReadAsync"/> refuses it.
    /// <see cref="RecordBatch.NextId"/> is the id to continue from (-1 or below <see cref="FirstId"/> at the start).
    /// </summary>
    /// <inheritdoc cref="ReadAsync"/>
    public ValueTask<RecordBatch> ReadBackwardAsync(long fromId, int maxRecords = 1000, long maxBytes = DefaultMaxReadBytes, bool includeUndurable = false, CancellationToken cancellationToken = default)
        => _reader.ReadBackwardAsync(fromId, maxRecords, maxBytes, includeUndurable, cancellationToken);

    /// <summary>The first id whose timestamp is at or after <paramref name="time"/>, or <see cref="NextId"/> when there is none.</summary>
    public ValueTask<long> FindIdAtTimestampAsync(DateTimeOffset time, CancellationToken cancellationToken = default)
        => _reader.FindIdAtTimestampAsync(time, cancellationToken);

    /// <summary>Reads records from the first at or after <paramref name="time"/>.</summary>
    /// <inheritdoc cref="ReadAsync"/>
    public async ValueTask<RecordBatch> ReadFromTimestampAsync(DateTimeOffset time, int maxRecords = 1000, long maxBytes = DefaultMaxReadBytes, bool includeUndurable = false, CancellationToken cancellationToken = default)
    {
        var id = await FindIdAtTimestampAsync(time, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(Math.Max(id, FirstId), maxRecords, maxBytes, includeUndurable, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Iterates the durable records <paramref name="fromId"/>..<paramref name="toId"/> of local segments in order, verifying
    /// checksums, without copying payloads: each record's payload is valid only until the iteration moves on.
    /// </summary>
    public IEnumerable<LogRecord> Scan(long fromId, long toId) => _reader.Scan(fromId, toId);

    /// <summary>
    /// One step of archival: takes the lowest sealed segment not yet archived, verifies it completely (header, footer,
    /// index, every record and the rolling checksum), marks it <see cref="SegmentStatus.Archiving"/>, stores it in the
    /// archive (unless an identical object is already there: a repeated step never uploads twice), lets the archive verify
    /// the stored object and marks it <see cref="SegmentStatus.Archived"/>. Returns the archived segment, or null when
    /// nothing is waiting. Safe under duplicate calls and crashes at any point (the next step redoes what is missing).
    /// </summary>
    /// <exception cref="InvalidOperationException">No archive is configured.</exception>
    /// <exception cref="SegmentCorruptedException">The segment is damaged; it is quarantined instead of archived.</exception>
    public Task<SegmentInfo?> ArchiveNextAsync(CancellationToken cancellationToken = default) => _archival.ArchiveNextAsync(cancellationToken);

    /// <summary>
    /// Removes local files of archived segments that local retention no longer needs: never the newest
    /// <see cref="PartitionLogOptions.KeepLocalSegments"/> sealed segments, never below
    /// <see cref="PartitionLogOptions.KeepLocalBytes"/> of local sealed data, never younger than
    /// <see cref="PartitionLogOptions.KeepLocalAge"/>, and only segments whose upload was verified and that the archive still
    /// holds with the recorded size and checksum. Returns what was evicted.
    /// </summary>
    /// <remarks>
    /// Crash-safe: the catalog records <see cref="SegmentStatus.LocalEvicted"/> (durably) before the file is deleted, so a
    /// crash in between leaves a file the next open keeps as <see cref="SegmentStatus.Archived"/>, and a crash after it
    /// leaves a row that reads serve from the archive. The catalog never points at nothing.
    /// </remarks>
    public Task<IReadOnlyList<SegmentInfo>> EvictArchivedAsync(CancellationToken cancellationToken = default) => _archival.EvictArchivedAsync(cancellationToken);

    /// <summary>
    /// Applies <see cref="PartitionLogOptions.RetentionAge"/>: archived segments (from the oldest, without gaps) whose
    /// newest record is older than it are deleted from the archive and from local disk, and <see cref="FirstId"/> moves
    /// past them; reads below it then fail with <see cref="RecordTrimmedException"/>. Returns what was deleted.
    /// </summary>
    /// <remarks>
    /// Crash-safe: the new first id is recorded durably first (the decision), then the local file, the archived object and
    /// the row go; a crash in between leaves rows below the first id, which the next run deletes again.
    /// </remarks>
    public Task<IReadOnlyList<SegmentInfo>> ApplyRetentionAsync(CancellationToken cancellationToken = default) => _archival.ApplyRetentionAsync(cancellationToken);

    /// <summary>
    /// Gives the ids reserved past the last id back: records the last id as the partition's id bound. For a handover, after
    /// appends stopped and every record is archived, so the next owner continues right after it. An append after this
    /// raises the bound again. Does nothing without an <see cref="IIdBoundStore"/>.
    /// </summary>
    public Task ReleaseIdReservationAsync(CancellationToken cancellationToken = default) => _writer.ReleaseIdReservationAsync(cancellationToken);

    /// <summary>
    /// Flushes what was appended, stops the background work and releases the directory. The active segment stays
    /// unsealed unless <paramref name="seal"/> is set.
    /// </summary>
    public async ValueTask CloseAsync(bool seal)
    {
        if (!await _writer.CloseAsync(seal, _shutdown.CancelAsync).ConfigureAwait(false))
        {
            return;
        }

        _segments.CloseAll();
        _cache.Close();
        StorageInstruments.Unregister(this);
        _catalog.Dispose();
        _lockFile.Dispose();
        _shutdown.Dispose();
        _state.SignalClosed();
    }

    /// <summary>Closes the partition without sealing (see <see cref="CloseAsync"/>).</summary>
    public ValueTask DisposeAsync() => CloseAsync(seal: false);
}
