namespace OrleansAof.Storage;

/// <summary>Options of a partition log. Every value is checked by <see cref="Validate"/> when a partition opens.</summary>
public sealed class PartitionLogOptions
{
    /// <summary>Folder under which each partition has its directory <c>{DataRoot}/{log}/{partition}</c>. Required.</summary>
    public string DataRoot { get; set; } = "";

    /// <summary>When appends become durable. Default <see cref="FlushPolicy.Sync"/>.</summary>
    public FlushPolicy FlushPolicy { get; set; } = FlushPolicy.Sync;

    /// <summary>A segment is sealed and a new one started before it would exceed this size. Default 64 MiB; at least 4 KiB.</summary>
    public long MaxSegmentBytes { get; set; } = PartitionLogDefaults.MaxSegmentBytes;

    /// <summary>A non-empty active segment older than this is sealed on the next append or maintenance tick. Default: no age limit.</summary>
    public TimeSpan? MaxSegmentAge { get; set; }

    /// <summary>The largest payload one record may carry. Default 1 MiB; at most a quarter of <see cref="MaxSegmentBytes"/>.</summary>
    public int MaxRecordBytes { get; set; } = PartitionLogDefaults.MaxRecordBytes;

    /// <summary>Bound on bytes written but not yet flushed; beyond it appends are refused or wait (<see cref="BackpressureMode"/>). Default 64 MiB.</summary>
    public long MaxUnflushedBytes { get; set; } = PartitionLogDefaults.MaxUnflushedBytes;

    /// <summary>What an append does at <see cref="MaxUnflushedBytes"/>. Default <see cref="BackpressureMode.FailFast"/>.</summary>
    public BackpressureMode BackpressureMode { get; set; } = BackpressureMode.FailFast;

    /// <summary>How the next segment is prepared. Default <see cref="PreallocationMode.Auto"/>.</summary>
    public PreallocationMode Preallocation { get; set; } = PreallocationMode.Auto;

    /// <summary>
    /// Under <c>Sync</c>, an append that finds no flush running performs the fsync on the calling thread: the lowest
    /// latency, no thread switch. Set it to false where callers must never block on disk I/O (Orleans grains): every
    /// fsync then runs on the partition's flusher and concurrent appends still share it. Default true.
    /// </summary>
    public bool FlushOnCallerThread { get; set; } = true;

    /// <summary>
    /// The most bytes a partition that holds little data reserves (or zero-fills) ahead of its writes. A segment is prepared
    /// with half the bytes the partition holds on local disk, at least this much and at most <see cref="MaxSegmentBytes"/>:
    /// a new partition reserves this much, a growing one doubles its reservation with its data until whole segments are
    /// prepared. So the disk a partition uses stays within about twice its data plus this much, and thousands of small
    /// partitions do not each hold a whole segment of empty space. Segment boundaries do not change. Default 256 KiB.
    /// </summary>
    public long InitialReservationBytes { get; set; } = 256 * 1024;

    /// <summary>Fraction of <see cref="MaxSegmentBytes"/> after which the next segment is prepared. Default 0.5.</summary>
    public double PreallocateAt { get; set; } = 0.5;

    /// <summary>
    /// Ids reserved ahead in the <see cref="PartitionLogEnvironment.IdBounds"/> store: the partition records a bound this
    /// far past its last id and raises it again halfway, so appends almost never wait for the store. After a lost volume
    /// at most this many ids are skipped. Default 1,000,000.
    /// </summary>
    public long IdReservation { get; set; } = 1_000_000;

    /// <summary>What an open does when ids up to the recorded id bound are held nowhere. Default <see cref="LostIdsPolicy.Refuse"/>.</summary>
    public LostIdsPolicy LostIds { get; set; } = LostIdsPolicy.Refuse;

    /// <summary>
    /// Whether an open creates the partition when it does not exist. Default true. When false, an open of a partition whose
    /// folder is absent, with no id bound recorded for it and nothing of it in the archive, creates nothing and throws
    /// <see cref="PartitionNotFoundException"/> (a partition that existed and lost its folder still opens as usual:
    /// restored from the archive or refused). The server opens this way first, so that reads never create partitions.
    /// </summary>
    public bool CreateIfMissing { get; set; } = true;

    /// <summary>How many sealed segment files stay open for reads. Default 32.</summary>
    public int OpenSegmentReaders { get; set; } = 32;

    /// <summary>
    /// Whether open sealed segments are memory-mapped for reads, where the file system offers it (Unix): <c>Scan</c>
    /// then hands out payloads straight from the page cache and reads copy once instead of twice. Every checksum is still
    /// verified. The trade-off: a device error while reading a mapped page, or a sealed file truncated by another process,
    /// stops the process (SIGBUS) instead of failing the read with an <see cref="IOException"/>. Default true.
    /// </summary>
    public bool MapSealedSegments { get; set; } = true;

    /// <summary>
    /// How appends reach the active segment's file. Default <see cref="ActiveSegmentWriteMode.Mapped"/>: non-<c>Sync</c>
    /// appends of up to 16 KiB are copied into a shared memory map of the segment once it holds 1 MiB (one copy into the
    /// page cache, no system call per append), where the file system offers it (Linux); <c>Sync</c> appends, larger ones,
    /// the start of each segment and other platforms use one <c>pwrite</c> per append. Both keep the same contract: an
    /// acknowledged non-<c>Sync</c> append survives a crash of the process; a flush makes it durable. The trade-off of the
    /// mapping: a device error while a written page is read back into memory stops the process (SIGBUS) where a
    /// <c>pwrite</c> would fault the partition (docs/format.md, "Platform guarantees").
    /// </summary>
    public ActiveSegmentWriteMode ActiveSegmentWrite { get; set; } = ActiveSegmentWriteMode.Mapped;

    /// <summary>How many producers' last batches are remembered for idempotent appends; beyond it the least recent is forgotten. Default 10,000.</summary>
    public int MaxProducers { get; set; } = 10_000;

    /// <summary>Archival: the newest sealed segments always kept on local disk, even when archived. Default 2 (at least 1: the newest sealed segment carries the producer table).</summary>
    public int KeepLocalSegments { get; set; } = PartitionLogDefaults.KeepLocalSegments;

    /// <summary>Archival: archived segments are evicted from local disk only while at least this many bytes of sealed segments stay local. Default 0.</summary>
    public long KeepLocalBytes { get; set; }

    /// <summary>Archival: an archived segment is evicted from local disk only once it was sealed at least this long ago. Default zero.</summary>
    public TimeSpan KeepLocalAge { get; set; } = TimeSpan.Zero;

    /// <summary>Archival: appends are refused with <see cref="LogBackpressureException"/> while more sealed segments than this wait for archival. Default 64.</summary>
    public int MaxArchiveBacklogSegments { get; set; } = PartitionLogDefaults.MaxArchiveBacklogSegments;

    /// <summary>Archival: appends are refused while more bytes of sealed segments than this wait for archival. Default 16 GiB.</summary>
    public long MaxArchiveBacklogBytes { get; set; } = PartitionLogDefaults.MaxArchiveBacklogBytes;

    /// <summary>Total retention: archived segments whose newest record is older than this are deleted from the archive and the first id moves past them. Default: keep forever.</summary>
    public TimeSpan? RetentionAge { get; set; }

    /// <summary>Bytes of segments fetched back from the archive kept in the partition's <c>cache/</c> folder for reads (least recently used go first). Default 512 MiB.</summary>
    public long ArchiveReadCacheBytes { get; set; } = PartitionLogDefaults.ArchiveReadCacheBytes;

    /// <summary>Interval of the maintenance tick that seals aged segments. Default 1 s.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether this partition's measurements carry a <c>partition</c> tag besides <c>log</c>. Default false: a log's
    /// partitions are aggregated, which keeps the number of time series bounded however many partitions there are.
    /// </summary>
    public bool PartitionMetricTags { get; set; }

    /// <summary>The bytes to reserve or zero-fill for a segment of a partition that holds <paramref name="localBytes"/> on disk (<see cref="InitialReservationBytes"/>).</summary>
    internal long ReservationFor(long localBytes) => Math.Min(MaxSegmentBytes, Math.Max(InitialReservationBytes, localBytes / 2));

    /// <summary>A copy of these options.</summary>
    public PartitionLogOptions Clone() => (PartitionLogOptions)MemberwiseClone();

    /// <summary>Throws <see cref="InvalidLogOptionsException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        const string prefix = nameof(PartitionLogOptions) + ".";
        if (string.IsNullOrWhiteSpace(DataRoot))
        {
            throw new InvalidLogOptionsException(prefix + nameof(DataRoot), "is required.");
        }

        if (FlushPolicy is null)
        {
            throw new InvalidLogOptionsException(prefix + nameof(FlushPolicy), "is required.");
        }

        if (MaxSegmentBytes < 4096 || MaxSegmentBytes > (1L << 40))
        {
            throw new InvalidLogOptionsException(prefix + nameof(MaxSegmentBytes), $"must be between 4096 and 2^40 bytes; it is {MaxSegmentBytes}.");
        }

        if (MaxSegmentAge is { } age && age <= TimeSpan.Zero)
        {
            throw new InvalidLogOptionsException(prefix + nameof(MaxSegmentAge), $"must be positive when set; it is {age}.");
        }

        if (MaxRecordBytes < 1 || MaxRecordBytes > MaxSegmentBytes / 4)
        {
            throw new InvalidLogOptionsException(prefix + nameof(MaxRecordBytes), $"must be between 1 and a quarter of MaxSegmentBytes ({MaxSegmentBytes / 4}); it is {MaxRecordBytes}.");
        }

        if (MaxUnflushedBytes < Format.SegmentFormat.RecordFrameSize(MaxRecordBytes))
        {
            throw new InvalidLogOptionsException(prefix + nameof(MaxUnflushedBytes), $"must hold at least one record of MaxRecordBytes ({Format.SegmentFormat.RecordFrameSize(MaxRecordBytes)} bytes with framing); it is {MaxUnflushedBytes}.");
        }

        if (!Enum.IsDefined(BackpressureMode))
        {
            throw new InvalidLogOptionsException(prefix + nameof(BackpressureMode), $"has an unknown value {BackpressureMode}.");
        }

        if (!Enum.IsDefined(Preallocation))
        {
            throw new InvalidLogOptionsException(prefix + nameof(Preallocation), $"has an unknown value {Preallocation}.");
        }

        if (!Enum.IsDefined(ActiveSegmentWrite))
        {
            throw new InvalidLogOptionsException(prefix + nameof(ActiveSegmentWrite), $"has an unknown value {ActiveSegmentWrite}.");
        }

        if (double.IsNaN(PreallocateAt) || PreallocateAt <= 0 || PreallocateAt >= 1)
        {
            throw new InvalidLogOptionsException(prefix + nameof(PreallocateAt), $"must be between 0 and 1 (exclusive); it is {PreallocateAt}.");
        }

        if (InitialReservationBytes < 0 || InitialReservationBytes > (1L << 40))
        {
            throw new InvalidLogOptionsException(prefix + nameof(InitialReservationBytes), $"must be between 0 and 2^40 bytes; it is {InitialReservationBytes}.");
        }

        if (OpenSegmentReaders < 1)
        {
            throw new InvalidLogOptionsException(prefix + nameof(OpenSegmentReaders), $"must be at least 1; it is {OpenSegmentReaders}.");
        }

        if (IdReservation < 1 || IdReservation > 1L << 40)
        {
            throw new InvalidLogOptionsException(prefix + nameof(IdReservation), $"must be between 1 and 2^40; it is {IdReservation}.");
        }

        if (!Enum.IsDefined(LostIds))
        {
            throw new InvalidLogOptionsException(prefix + nameof(LostIds), $"has an unknown value {LostIds}.");
        }

        if (MaxProducers < 1 || MaxProducers > 1_000_000)
        {
            throw new InvalidLogOptionsException(prefix + nameof(MaxProducers), $"must be between 1 and 1,000,000; it is {MaxProducers}.");
        }

        if (KeepLocalSegments < 1)
        {
            throw new InvalidLogOptionsException(prefix + nameof(KeepLocalSegments), $"must be at least 1 (the newest sealed segment carries the producer table); it is {KeepLocalSegments}.");
        }

        if (KeepLocalBytes < 0)
        {
            throw new InvalidLogOptionsException(prefix + nameof(KeepLocalBytes), $"must not be negative; it is {KeepLocalBytes}.");
        }

        if (KeepLocalAge < TimeSpan.Zero)
        {
            throw new InvalidLogOptionsException(prefix + nameof(KeepLocalAge), $"must not be negative; it is {KeepLocalAge}.");
        }

        if (MaxArchiveBacklogSegments < 1)
        {
            throw new InvalidLogOptionsException(prefix + nameof(MaxArchiveBacklogSegments), $"must be at least 1; it is {MaxArchiveBacklogSegments}.");
        }

        if (MaxArchiveBacklogBytes < MaxSegmentBytes)
        {
            throw new InvalidLogOptionsException(prefix + nameof(MaxArchiveBacklogBytes), $"must hold at least one segment (MaxSegmentBytes = {MaxSegmentBytes}); it is {MaxArchiveBacklogBytes}.");
        }

        if (RetentionAge is { } retention && retention <= TimeSpan.Zero)
        {
            throw new InvalidLogOptionsException(prefix + nameof(RetentionAge), $"must be positive when set; it is {retention}.");
        }

        if (ArchiveReadCacheBytes < MaxSegmentBytes)
        {
            throw new InvalidLogOptionsException(prefix + nameof(ArchiveReadCacheBytes), $"must hold at least one segment (MaxSegmentBytes = {MaxSegmentBytes}); it is {ArchiveReadCacheBytes}.");
        }

        if (MaintenanceInterval < TimeSpan.FromMilliseconds(10))
        {
            throw new InvalidLogOptionsException(prefix + nameof(MaintenanceInterval), $"must be at least 10 ms; it is {MaintenanceInterval}.");
        }
    }
}
