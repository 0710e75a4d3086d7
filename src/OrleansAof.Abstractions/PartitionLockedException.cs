namespace OrleansAof;

/// <summary>Another writer holds the partition directory. Only one activation writes a partition; close the other writer first.</summary>
[GenerateSerializer]
[Alias("aof.PartitionLockedException")]
public sealed class PartitionLockedException(string message) : AppendLogException(message);
