using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage;

/// <summary>The services a <see cref="PartitionLog"/> uses. Every member has a production default.</summary>
public sealed class PartitionLogEnvironment
{
    /// <summary>The defaults: the real file system, the system clock, no logging, no archive.</summary>
    public static PartitionLogEnvironment Default { get; } = new();

    /// <summary>All file I/O. Default <see cref="PhysicalFileSystem"/>.</summary>
    public IFileSystem FileSystem { get; init; } = PhysicalFileSystem.Instance;

    /// <summary>Time for timestamps, the periodic flush and segment age. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logging. Default: none.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>The archive that holds evicted segments, for reads and restore. Default: none.</summary>
    public ISegmentArchive? Archive { get; init; }

    /// <summary>
    /// Where the partition keeps the durable upper bound of the ids it handed out (see <see cref="IIdBoundStore"/>). With
    /// one, a partition whose files are lost refuses to open instead of handing their ids out again, and a brand-new
    /// partition opens without asking the archive. Default: none (an empty folder is restored from the archive and
    /// continues after the archived last id).
    /// </summary>
    public IIdBoundStore? IdBounds { get; init; }

    /// <summary>
    /// Called on the thread pool after a segment was sealed (for example to wake an archiver). It must not block; an
    /// exception it throws is ignored. Default: none.
    /// </summary>
    public Action<SegmentInfo>? SegmentSealed { get; init; }
}
