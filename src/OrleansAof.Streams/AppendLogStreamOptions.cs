namespace OrleansAof.Streams;

/// <summary>Options of an <c>AddAppendLogStreams</c> provider: which log carries the streams and how its partitions are read.</summary>
public sealed class AppendLogStreamOptions
{
    /// <summary>The grain storage the pulling agents' checkpoints are kept in. <c>AddAppendLogStreams</c> adds an in-memory one when the silo has none; register a durable one under this name on a durable silo.</summary>
    public const string CheckpointStorageName = "AofStreamCheckpoints";

    /// <summary>The log whose partitions are the provider's queues. Default: the provider's name.</summary>
    public string? Log { get; set; }

    /// <summary>Queues, that is partitions <c>0</c> .. <c>Partitions - 1</c> of <see cref="Log"/>; a stream always maps to the same one. Default 4; 1 to 1,024. Producers and silos must agree.</summary>
    public int Partitions { get; set; } = 4;

    /// <summary>Records a pulling agent reads per poll (each record is one produced batch of events). Default 1,000.</summary>
    public int MaxRecordsPerRead { get; set; } = 1000;

    /// <summary>Records kept in each queue's cache after every subscriber has passed them, for cheap rewinds; older ones are read back from the log. Default 4,096.</summary>
    public int CacheRecords { get; set; } = 4096;

    /// <summary>How often each pulling agent polls its partition (Orleans' default is 100 ms). Default 10 ms; at least 1 ms. Applied when the provider is added.</summary>
    public TimeSpan PollPeriod { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How often a pulling agent writes its checkpoint (the oldest record some subscriber still needs) while records flow. Default 1 s.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a record stays ahead of the checkpoint after it was read, at least. When a stream shows up in a queue for
    /// the first time, Orleans looks up its subscribers in the background and only then opens their cursors; until it has,
    /// nothing says those subscribers still need the stream's records, and a checkpoint written in that window, followed
    /// by a crash, would skip them. A longer lag costs more re-delivered records (same tokens) after a restart. Default 5 s.
    /// </summary>
    public TimeSpan CheckpointLag { get; set; } = TimeSpan.FromSeconds(5);
}
