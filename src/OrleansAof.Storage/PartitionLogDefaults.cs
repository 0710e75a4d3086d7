namespace OrleansAof.Storage;

/// <summary>
/// The default of each engine setting that is also a setting of the silo (<c>AppendLogOptions</c>) and of the silo host
/// (<c>Aof:*</c>): the one place these numbers are written. <see cref="PartitionLogOptions"/> starts from them, and so do
/// the server's and the host's settings.
/// </summary>
public static class PartitionLogDefaults
{
    /// <summary>The flush policy, in the text form of <see cref="Storage.FlushPolicy.Parse"/>: <c>Sync</c>.</summary>
    public const string FlushPolicy = "Sync";

    /// <summary>Segment size limit: 64 MiB.</summary>
    public const long MaxSegmentBytes = 64L * 1024 * 1024;

    /// <summary>Largest record payload: 1 MiB.</summary>
    public const int MaxRecordBytes = 1024 * 1024;

    /// <summary>Bound on bytes written but not flushed, per partition: 64 MiB.</summary>
    public const long MaxUnflushedBytes = 64L * 1024 * 1024;

    /// <summary>Newest sealed segments kept on local disk after archival: 2.</summary>
    public const int KeepLocalSegments = 2;

    /// <summary>Sealed segments that may wait for archival before appends are refused: 64.</summary>
    public const int MaxArchiveBacklogSegments = 64;

    /// <summary>Bytes of sealed segments that may wait for archival before appends are refused: 16 GiB.</summary>
    public const long MaxArchiveBacklogBytes = 16L * 1024 * 1024 * 1024;

    /// <summary>Bytes of segments fetched back from the archive kept per partition for reads: 512 MiB.</summary>
    public const long ArchiveReadCacheBytes = 512L * 1024 * 1024;
}
