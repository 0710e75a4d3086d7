namespace OrleansAof.Storage.Archive;

/// <summary>
/// The archive a host configured for its partitions, already wrapped in the retrying decorator. Registered in the
/// service container by <c>AddSegmentArchive</c> and the archive-specific extensions built on it.
/// </summary>
/// <param name="archive">The archive every partition of the host uses.</param>
public sealed class ConfiguredSegmentArchive(ISegmentArchive archive)
{
    /// <summary>The archive (retries transient faults; reports permanent ones).</summary>
    public ISegmentArchive Archive { get; } = archive;
}
