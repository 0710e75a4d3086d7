namespace OrleansAof;

/// <summary>
/// Serves reads of archived records straight from the archive, on any silo: the fallback while a partition's owner is
/// down. Keyed like the partition; a stateless worker, so it never needs the owner.
/// </summary>
[Alias("aof.IArchiveReaderGrain")]
public interface IArchiveReaderGrain : IGrainWithStringKey
{
    /// <summary>
    /// Reads archived records from <paramref name="fromId"/> (within one archived segment). Returns an empty batch when
    /// <paramref name="fromId"/> is past what the archive holds.
    /// </summary>
    /// <exception cref="PartitionUnavailableException">The silo has no archive configured.</exception>
    [Alias("Read")]
    Task<LogRecordBatch> ReadAsync(long fromId, int maxRecords = 1000, long maxBytes = 4 * 1024 * 1024);
}
