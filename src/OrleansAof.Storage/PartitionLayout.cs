using System.Globalization;

namespace OrleansAof.Storage;

/// <summary>
/// The names of the folders and files a data root holds (docs/format.md, "Directory layout of a partition"). The engine,
/// the offline inspector and repair, the silo host's drain and the <c>aof</c> tool all take these names from here.
/// </summary>
/// <remarks>
/// <code>
/// {DataRoot}/{log}/{partition}/
///   writer.lock   epoch   catalog.db
///   segments/     {baseId:D20}.aofseg ...   next.prealloc
///   quarantine/   cache/
/// {DataRoot}/.handed-over/{log}/{partition}.{epoch}/
/// </code>
/// </remarks>
public static class PartitionLayout
{
    /// <summary>The folder of a partition that holds its segment files; a folder with it is a partition directory.</summary>
    public const string SegmentsFolder = "segments";

    /// <summary>The folder of a partition where damaged segments are moved aside for an operator.</summary>
    public const string QuarantineFolder = "quarantine";

    /// <summary>The folder of a partition that holds segments fetched back from the archive for reads.</summary>
    public const string CacheFolder = "cache";

    /// <summary>The file a writer holds with an exclusive lock while it has the partition open.</summary>
    public const string LockFileName = "writer.lock";

    /// <summary>The file with the last writer epoch of a partition.</summary>
    public const string EpochFileName = "epoch";

    /// <summary>The SQLite segment catalog of a partition (a cache of the segment files).</summary>
    public const string CatalogFileName = "catalog.db";

    /// <summary>The next segment file, prepared in the background inside <see cref="SegmentsFolder"/>.</summary>
    public const string PreallocatedFileName = "next.prealloc";

    /// <summary>File extension of segment files.</summary>
    public const string SegmentExtension = ".aofseg";

    /// <summary>The search pattern that lists the segment files of a <see cref="SegmentsFolder"/>.</summary>
    public const string SegmentFilePattern = "*" + SegmentExtension;

    /// <summary>The folder under the data root where a drain moves the partitions it handed over to another silo.</summary>
    public const string HandedOverFolder = ".handed-over";

    /// <summary>A replica's epoch history (epoch → first position), beside the segments of a replicated partition.</summary>
    public const string ReplicaEpochsFileName = "replica-epochs";

    /// <summary>A replica's durable protocol state (promise, voter, commit point, sealed boundary).</summary>
    public const string ReplicaStateFileName = "replica-state";

    /// <summary>Digits of the base id in a segment file name.</summary>
    private const int BaseIdDigits = 20;

    /// <summary>The full path of the directory of partition <paramref name="log"/>/<paramref name="partition"/> under <paramref name="dataRoot"/>.</summary>
    /// <exception cref="InvalidPartitionNameException">A name is not a valid log or partition name.</exception>
    public static string PartitionDirectory(string dataRoot, string log, string partition)
    {
        ArgumentNullException.ThrowIfNull(dataRoot);
        return new Internal.PartitionDirectory(dataRoot, log, partition).DirectoryPath;
    }

    /// <summary>The <see cref="SegmentsFolder"/> of <paramref name="partitionDirectory"/>.</summary>
    public static string SegmentsOf(string partitionDirectory) => Path.Combine(partitionDirectory, SegmentsFolder);

    /// <summary>The <see cref="QuarantineFolder"/> of <paramref name="partitionDirectory"/>.</summary>
    public static string QuarantineOf(string partitionDirectory) => Path.Combine(partitionDirectory, QuarantineFolder);

    /// <summary>The file name of the segment whose first record id is <paramref name="baseId"/>: 20 digits, so names sort by id.</summary>
    public static string SegmentFileName(long baseId) => baseId.ToString("D20", CultureInfo.InvariantCulture) + SegmentExtension;

    /// <summary>Parses a file name (or path) made by <see cref="SegmentFileName"/>.</summary>
    public static bool TryParseSegmentFileName(string fileName, out long baseId)
    {
        baseId = -1;
        var name = Path.GetFileName(fileName);
        if (!name.EndsWith(SegmentExtension, StringComparison.Ordinal) || name.Length != BaseIdDigits + SegmentExtension.Length)
        {
            return false;
        }

        return long.TryParse(name.AsSpan(0, BaseIdDigits), NumberStyles.None, CultureInfo.InvariantCulture, out baseId);
    }
}
