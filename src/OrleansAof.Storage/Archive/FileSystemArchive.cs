using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Archive;

/// <summary>
/// An archive in a local or mounted folder. An object is stored at <c>{root}/{log}/{partition}/{fileName}</c>, byte for
/// byte the local segment file, with a checksummed sidecar <c>{fileName}.aofmeta</c> that records the original and stored
/// size and CRC-32C, the compression and the time (see <see cref="ArchiveMetadataFile"/>).
/// </summary>
/// <remarks>
/// <para>The archive protocol (<see cref="BlobSegmentArchive"/>) over the folder's blob store: a put writes a temporary
/// file and sidecar, fsyncs both, renames them into place (the sidecar last: its rename commits the object) and fsyncs
/// the folder; then it reads the object back and checks it. A data file without a sidecar is the remains of an
/// interrupted put: it is not listed and the next put of the key replaces it. A put of a key that already holds a
/// verified object with the same original facts changes nothing.</para>
/// <para>Every file operation goes through <see cref="IFileSystem"/>, and runs on the thread pool, never on the caller's
/// scheduler. Failures of the folder are reported as <see cref="ArchiveUnavailableException"/>: a denied or read-only
/// target is <see cref="ArchiveUnavailableReason.AccessDenied"/> (permanent), a missing root folder
/// <see cref="ArchiveUnavailableReason.BucketMissing"/> (permanent; see <see cref="FileSystemArchiveOptions.CreateRootIfMissing"/>),
/// other I/O errors (a full disk, an I/O error) <see cref="ArchiveUnavailableReason.Other"/> and transient (see
/// <see cref="IsTransient"/>). Integrity failures, missing objects and invalid names keep their own types.</para>
/// </remarks>
public sealed class FileSystemArchive : BlobSegmentArchive
{
    /// <summary>The suffix of the sidecar metadata file beside each object.</summary>
    public const string MetadataSuffix = ".aofmeta";

    private static readonly BlobArchiveSettings Settings = new() { ReadBackAfterPut = true };

    /// <summary>Creates an archive over the real file system.</summary>
    /// <exception cref="InvalidLogOptionsException">An option is invalid.</exception>
    public FileSystemArchive(FileSystemArchiveOptions options)
        : this(options, PhysicalFileSystem.Instance, TimeProvider.System, null)
    {
    }

    /// <summary>Creates an archive.</summary>
    /// <param name="options">The options; validated here and copied.</param>
    /// <param name="fileSystem">The file system every read and write goes through.</param>
    /// <param name="timeProvider">The clock for the recorded store time.</param>
    /// <param name="logger">A logger, or <see langword="null"/> for none.</param>
    /// <exception cref="InvalidLogOptionsException">An option is invalid.</exception>
    public FileSystemArchive(FileSystemArchiveOptions options, IFileSystem fileSystem, TimeProvider timeProvider, ILogger<FileSystemArchive>? logger)
        : base(CreateStorage(options, fileSystem, timeProvider, logger), Settings, fileSystem, logger)
    {
    }

    /// <summary>The archive's root folder (full path).</summary>
    public string RootPath => ((FileSystemBlobStorage)Storage).RootPath;

    /// <summary>
    /// Whether an error of this archive may go away by itself, so that <see cref="ResilientSegmentArchive"/> may retry:
    /// an <see cref="ArchiveUnavailableException"/> that <see cref="ArchiveUnavailableException.IsTransient"/> says is (a
    /// full disk, an I/O error, a busy file) and an untyped <see cref="IOException"/> are; a missing root, a missing file
    /// or folder, a denied or read-only target and every other <see cref="AppendLogException"/> that is not
    /// <see cref="AppendLogException.IsRetryable"/> (an integrity failure, a bad name, a missing object) are not.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        ArchiveUnavailableException e => e.IsTransient,
        AppendLogException e => e.IsRetryable,
        FileNotFoundException or DirectoryNotFoundException or PathTooLongException => false,
        IOException => true,
        _ => false,
    };

    private static FileSystemBlobStorage CreateStorage(FileSystemArchiveOptions options, IFileSystem fileSystem, TimeProvider timeProvider, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(fileSystem);
        ArgumentNullException.ThrowIfNull(timeProvider);
        options.Validate();
        return new FileSystemBlobStorage(Path.GetFullPath(options.RootPath), options.CreateRootIfMissing, fileSystem, timeProvider, logger ?? NullLogger.Instance);
    }
}
