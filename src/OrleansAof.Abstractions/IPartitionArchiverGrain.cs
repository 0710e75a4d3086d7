namespace OrleansAof;

/// <summary>
/// The archiver of one partition (keyed like it, <c>{log}/{partition}</c>, and placed on the same silo): a reminder wakes
/// it periodically as a safety net and the partition pokes it whenever it seals a segment. Each run asks the partition to
/// archive what is waiting; every step is idempotent, so duplicate or late ticks do no harm.
/// </summary>
[Alias("aof.IPartitionArchiverGrain")]
public interface IPartitionArchiverGrain : IGrainWithStringKey
{
    /// <summary>Registers the reminder (idempotent) and runs archival soon.</summary>
    [Orleans.Concurrency.OneWay]
    [Alias("Poke")]
    Task PokeAsync();

    /// <summary>Runs archival now and returns what the partition did.</summary>
    [Alias("Run")]
    Task<ArchivalReport> RunAsync();
}
