using Orleans.Concurrency;

namespace OrleansAof.Server.Archival;

/// <summary>Reads archived records on whichever silo receives the call; the fallback while a partition's owner is down.</summary>
[StatelessWorker]
internal sealed class ArchiveReaderGrain(ArchiveReaders readers) : Grain, IArchiveReaderGrain
{
    public async Task<LogRecordBatch> ReadAsync(long fromId, int maxRecords = 1000, long maxBytes = 4 * 1024 * 1024)
    {
        var key = this.GetPrimaryKeyString();
        var (log, partition) = PartitionKey.Parse(key);
        var reader = readers.For(log, partition) ?? throw new PartitionUnavailableException(key, "no archive is configured on this silo to read from");
        try
        {
            return PartitionGrain.ToContract(await reader.ReadAsync(fromId, maxRecords, maxBytes));
        }
        catch (Storage.AppendLogException e)
        {
            throw EngineErrors.ToContract(e, key);
        }
    }
}
