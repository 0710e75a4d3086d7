namespace OrleansAof.Storage;

/// <summary>Another writer holds the partition directory (its lock file is taken). Close the other writer first.</summary>
public sealed class PartitionLockedException(string directory, Exception? inner)
    : AppendLogException($"The partition directory '{directory}' is locked by another writer.", inner)
{
    /// <summary>The locked directory.</summary>
    public string Directory { get; } = directory;
}
