using System.Buffers.Binary;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// The directory of one partition, <c>{root}/{log}/{partition}/</c>, laid out as <see cref="PartitionLayout"/> says.
/// </summary>
internal sealed class PartitionDirectory
{

    public PartitionDirectory(string dataRoot, string log, string partition)
    {
        ValidateName(log);
        ValidateName(partition);
        Root = Path.GetFullPath(dataRoot);
        Log = log;
        Partition = partition;
        DirectoryPath = Path.GetFullPath(Path.Combine(Root, log, partition));
        var rootWithSeparator = Root.EndsWith(Path.DirectorySeparatorChar) ? Root : Root + Path.DirectorySeparatorChar;
        if (!DirectoryPath.StartsWith(rootWithSeparator, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
        {
            throw new InvalidPartitionNameException($"{log}/{partition}", "it would leave the data root");
        }
    }

    public string Root { get; }

    public string Log { get; }

    public string Partition { get; }

    public string FullName => $"{Log}/{Partition}";

    public string DirectoryPath { get; }

    public string Segments => PartitionLayout.SegmentsOf(DirectoryPath);

    public string Quarantine => PartitionLayout.QuarantineOf(DirectoryPath);

    public string Cache => Path.Combine(DirectoryPath, PartitionLayout.CacheFolder);

    public string LockFile => Path.Combine(DirectoryPath, PartitionLayout.LockFileName);

    public string EpochFile => Path.Combine(DirectoryPath, PartitionLayout.EpochFileName);

    public string CatalogFile => Path.Combine(DirectoryPath, PartitionLayout.CatalogFileName);

    public string PreallocatedFile => Path.Combine(Segments, PartitionLayout.PreallocatedFileName);

    public string SegmentPath(long baseId) => Path.Combine(Segments, PartitionLayout.SegmentFileName(baseId));

    /// <summary>Throws <see cref="InvalidPartitionNameException"/> when <paramref name="name"/> breaks the rule of <see cref="PartitionNames"/>.</summary>
    public static void ValidateName(string name)
    {
        if (PartitionNames.Check(name) is { } reason)
        {
            throw new InvalidPartitionNameException(name ?? "", reason);
        }
    }

    /// <summary>
    /// Creates the folders that are missing. The partition folder is created durably (each new folder's parent is flushed);
    /// its <c>segments</c> and <c>quarantine</c> folders are not flushed here: every open writes the epoch
    /// (<see cref="WriteEpoch"/>) before anything is appended or restored into them, and that flush of the partition folder
    /// makes them durable too (a partition's first durable record must not vanish with its folder). Two fsyncs fewer
    /// when a partition is created.
    /// </summary>
    public void Create(IFileSystem fs)
    {
        fs.CreateDirectoryDurably(DirectoryPath);
        foreach (var folder in (ReadOnlySpan<string>)[Segments, Quarantine])
        {
            if (!fs.DirectoryExists(folder))
            {
                fs.CreateDirectory(folder);
            }
        }
    }

    /// <summary>Takes the exclusive writer lock, held until the returned file is disposed.</summary>
    public IStorageFile AcquireLock(IFileSystem fs)
    {
        try
        {
            return fs.OpenFile(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (IsLockConflict(e))
        {
            throw new PartitionLockedException(DirectoryPath, e);
        }
    }

    /// <summary>
    /// Whether an exclusive open failed because another handle holds the file: a sharing or lock violation on Windows,
    /// EWOULDBLOCK from flock on Unix (.NET reports the errno as the HResult). Any other error, such as a read-only
    /// volume (EROFS), is not a second writer and is left as it is.
    /// </summary>
    internal static bool IsLockConflict(IOException e) =>
        OperatingSystem.IsWindows() ? e.HResult is unchecked((int)0x80070020) or unchecked((int)0x80070021)
        : e.HResult == (OperatingSystem.IsLinux() ? 11 : 35);

    /// <summary>Reads the last writer epoch (0 when there is none or it is unreadable).</summary>
    public long ReadEpoch(IFileSystem fs) => ReadEpoch(fs, EpochFile);

    /// <summary>Reads the epoch file at <paramref name="epochFile"/> (0 when it is missing or unreadable).</summary>
    public static long ReadEpoch(IFileSystem fs, string epochFile)
    {
        if (!fs.FileExists(epochFile))
        {
            return 0;
        }

        using var file = fs.OpenFile(epochFile, FileMode.Open, FileAccess.Read);
        Span<byte> bytes = stackalloc byte[12];
        if (file.ReadAtMost(0, bytes) != 12 || BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]) != Crc32C.Compute(bytes[..8]))
        {
            return 0;
        }

        return BinaryPrimitives.ReadInt64LittleEndian(bytes);
    }

    /// <summary>
    /// Writes the epoch durably: temp file, fsync, rename, fsync of the directory (which also makes the folders
    /// <see cref="Create"/> made durable).
    /// </summary>
    public void WriteEpoch(IFileSystem fs, long epoch)
    {
        var temp = EpochFile + ".tmp";
        Span<byte> bytes = stackalloc byte[12];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, epoch);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[8..], Crc32C.Compute(bytes[..8]));
        using (var file = fs.OpenFile(temp, FileMode.Create, FileAccess.Write))
        {
            file.Write(0, bytes);
            file.Flush(dataOnly: false);
        }

        fs.MoveFile(temp, EpochFile, overwrite: true);
        fs.FlushDirectory(DirectoryPath);
    }
}
