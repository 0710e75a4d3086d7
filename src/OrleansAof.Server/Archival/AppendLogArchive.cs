using OrleansAof.Storage.Archive;

namespace OrleansAof.Server.Archival;

/// <summary>The silo's archive, wrapped in the retrying decorator. Registered by the archive hosting extensions.</summary>
/// <param name="archive">The archive every partition of the silo uses.</param>
public sealed class AppendLogArchive(ISegmentArchive archive)
{
    /// <summary>The archive (retries transient faults; reports permanent ones).</summary>
    public ISegmentArchive Archive { get; } = archive;
}
