using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Archive;

/// <summary>
/// An archive in a local or mounted folder. An object is stored at <c>{root}/{log}/{partition}/{fileName}</c>, byte for
/// byte the local segment file, with a checksummed sidecar <c>{fileName}.aofmeta</c> that records the original and stored
/// size and CRC-32C, the compression and the time (see <see cref="ArchiveMetadataFile"/>).
/// </summary>
/// <remarks>
/// <para>A put copies to a temporary file (a name starting with a dot), fsyncs it, writes and fsyncs the sidecar the
/// same way, renames both into place (the data first, the sidecar last: the sidecar's rename commits the object) and
/// fsyncs the directory; then it reads the object back and checks it. A data file without a sidecar is the remains of
/// an interrupted put: it is not listed and the next put of the key replaces it. A put of a key that already holds a
/// verified object with the same original facts changes nothing.</para>
/// <para>Every file operation goes through <see cref="IFileSystem"/>, and runs on the thread pool, never on the caller's
/// scheduler. Failures of the folder are reported as <see cref="ArchiveUnavailableException"/>: a denied or read-only
/// target is <see cref="ArchiveUnavailableReason.AccessDenied"/> (permanent), a missing root folder
/// <see cref="ArchiveUnavailableReason.BucketMissing"/> (permanent; see <see cref="FileSystemArchiveOptions.CreateRootIfMissing"/>),
/// other I/O errors (a full disk, an I/O error) <see cref="ArchiveUnavailableReason.Other"/> and transient (see
/// <see cref="IsTransient"/>). Integrity failures, missing objects and invalid names keep their own types.</para>
/// </remarks>
public sealed partial class FileSystemArchive : ISegmentArchive
{
    /// <summary>The suffix of the sidecar metadata file beside each object.</summary>
    public const string MetadataSuffix = ".aofmeta";

    private const string TempSuffix = ".tmp";
    private const int CopyBufferSize = 1 << 20;

    private readonly IFileSystem _fileSystem;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly bool _createRoot;
    private volatile bool _rootSeen;

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
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(fileSystem);
        ArgumentNullException.ThrowIfNull(timeProvider);
        options.Validate();
        RootPath = Path.GetFullPath(options.RootPath);
        _createRoot = options.CreateRootIfMissing;
        _fileSystem = fileSystem;
        _timeProvider = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The archive's root folder (full path).</summary>
    public string RootPath { get; }

    /// <inheritdoc />
    public string Description => $"file-system archive at '{RootPath}'";

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

    /// <inheritdoc />
    public Task<ArchivedObjectInfo> PutAsync(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        ArgumentException.ThrowIfNullOrEmpty(localPath);
        return Task.Run(() => Guard(() => Put(key, localPath, original, cancellationToken)), cancellationToken);
    }

    /// <inheritdoc />
    public Task<ArchivedObjectInfo?> GetInfoAsync(ArchiveObjectKey key, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        return Task.Run(() => Guard(() => ReadInfo(key)), cancellationToken);
    }

    /// <inheritdoc />
    public Task DownloadAsync(ArchiveObjectKey key, string destinationPath, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        return Task.Run(() => Guard(() => Download(key, destinationPath, cancellationToken)), cancellationToken);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ArchivedObjectInfo> ListAsync(string log, string partition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArchiveNames.ValidatePartition(log, partition);
        var objects = await Task.Run(() => Guard(() => List(log, partition, cancellationToken)), cancellationToken);
        foreach (var info in objects)
        {
            yield return info;
        }
    }

    /// <inheritdoc />
    public Task DeleteAsync(ArchiveObjectKey key, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        return Task.Run(() => Guard(() => Delete(key)), cancellationToken);
    }

    /// <inheritdoc />
    public override string ToString() => Description;

    /// <summary>
    /// The typed form of an error of this archive's folder: <see cref="ArchiveUnavailableException"/> for a denied target,
    /// a missing root and other I/O errors; <see langword="null"/> for errors that keep their type (typed errors of the
    /// archive, a missing file under an existing root, cancellations, bugs).
    /// </summary>
    private ArchiveUnavailableException? ToUnavailable(Exception error) => error switch
    {
        AppendLogException or OperationCanceledException or ArgumentException => null,
        UnauthorizedAccessException => new ArchiveUnavailableException(ArchiveUnavailableReason.AccessDenied, Description, Cause(error), isTransient: false, error),
        FileNotFoundException or DirectoryNotFoundException when !_fileSystem.DirectoryExists(RootPath) => RootMissing(error),
        FileNotFoundException or DirectoryNotFoundException or PathTooLongException => null, // a missing local file or object file: not the archive's availability
        IOException => new ArchiveUnavailableException(ArchiveUnavailableReason.Other, Description, Cause(error), isTransient: true, error),
        _ => null,
    };

    private ArchiveUnavailableException RootMissing(Exception? inner = null) => new(
        ArchiveUnavailableReason.BucketMissing,
        Description,
        $"the archive's root folder '{RootPath}' does not exist" + (_rootSeen ? " any more (was the volume unmounted?)" : ""),
        isTransient: false,
        inner);

    private static string Cause(Exception error) => $"{error.GetType().Name}: {error.Message}";

    /// <summary>
    /// Runs one operation after making sure the root folder exists (creating it on first use when allowed, never again
    /// after it disappeared) and types its errors.
    /// </summary>
    private T Guard<T>(Func<T> operation)
    {
        try
        {
            EnsureRoot();
            return operation();
        }
        catch (Exception e) when (ToUnavailable(e) is { } typed)
        {
            throw typed;
        }
    }

    private void Guard(Action operation) => Guard<object?>(
        () =>
        {
            operation();
            return null;
        });

    private void EnsureRoot()
    {
        if (_fileSystem.DirectoryExists(RootPath))
        {
            _rootSeen = true;
            return;
        }

        if (_createRoot && !_rootSeen)
        {
            _fileSystem.CreateDirectory(RootPath);
            _rootSeen = true;
            LogRootCreated(_logger, RootPath);
            return;
        }

        throw RootMissing();
    }

    private static void ValidateKey(ArchiveObjectKey key)
    {
        ArchiveNames.Validate(key);
        if (key.FileName.EndsWith(MetadataSuffix, StringComparison.Ordinal))
        {
            throw new InvalidPartitionNameException(key.FileName, $"names ending in '{MetadataSuffix}' are reserved for the archive's metadata files");
        }
    }

    private string DirectoryOf(string log, string partition) => Path.Combine(RootPath, log, partition);

    private string DataPathOf(ArchiveObjectKey key) => Path.Combine(RootPath, key.Log, key.Partition, key.FileName);

    private ArchivedObjectInfo Put(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken)
    {
        var directory = DirectoryOf(key.Log, key.Partition);
        var dataPath = DataPathOf(key);
        var metadataPath = dataPath + MetadataSuffix;

        var existing = TryReadExistingForPut(key);
        if (existing is not null)
        {
            if (existing.Original == original && VerifyStoredBytes(key, existing) is null)
            {
                LogPutUnchanged(_logger, key.RelativeKey);
                return existing;
            }

            LogReplacingObject(_logger, key.RelativeKey, existing.Original.Size, existing.Original.Checksum, original.Size, original.Checksum);
        }

        _fileSystem.CreateDirectoryDurably(directory);
        var token = Guid.NewGuid().ToString("N");
        var tempData = Path.Combine(directory, $".{key.FileName}.{token}{TempSuffix}");
        var tempMetadata = Path.Combine(directory, $".{key.FileName}{MetadataSuffix}.{token}{TempSuffix}");
        var committed = false;
        ArchivedObjectInfo written;
        try
        {
            var (size, checksum) = CopyWithChecksum(localPath, tempData, cancellationToken);
            if (size != original.Size || checksum != original.Checksum)
            {
                throw new ArchiveIntegrityException(
                    key.RelativeKey,
                    $"the local file '{localPath}' has {size} bytes with CRC-32C {checksum:x8}, but {original.Size} bytes with {original.Checksum:x8} were expected; nothing was stored");
            }

            written = new ArchivedObjectInfo(key, original, size, checksum, ArchiveCompression.None, _timeProvider.GetUtcNow());
            WriteDurably(tempMetadata, ArchiveMetadataFile.Serialize(written));
            cancellationToken.ThrowIfCancellationRequested();

            if (_fileSystem.FileExists(metadataPath))
            {
                // Hide the old object before its data is replaced, so no reader pairs old metadata with new bytes.
                _fileSystem.DeleteFile(metadataPath);
                _fileSystem.FlushDirectory(directory);
            }

            _fileSystem.MoveFile(tempData, dataPath, overwrite: true);
            _fileSystem.MoveFile(tempMetadata, metadataPath, overwrite: true);
            committed = true;
            _fileSystem.FlushDirectory(directory);
        }
        finally
        {
            if (!committed)
            {
                TryDelete(tempData);
                TryDelete(tempMetadata);
            }
        }

        var stored = ReadInfo(key);
        var problem = stored is null ? "its metadata file is missing"
            : stored != written ? "its metadata file does not hold what was written"
            : VerifyStoredBytes(key, stored);
        if (problem is not null)
        {
            Delete(key);
            throw new ArchiveIntegrityException(key.RelativeKey, $"the check after the put failed: {problem}; the object was removed");
        }

        LogStored(_logger, key.RelativeKey, written.StoredSize, written.StoredChecksum);
        return stored!;
    }

    /// <summary>The existing object's facts for a put; a damaged or half-written object counts as absent (the put replaces it).</summary>
    private ArchivedObjectInfo? TryReadExistingForPut(ArchiveObjectKey key)
    {
        try
        {
            return ReadInfo(key);
        }
        catch (ArchiveIntegrityException e)
        {
            LogDamagedObjectReplaced(_logger, key.RelativeKey, e.Message);
            return null;
        }
    }

    private ArchivedObjectInfo? ReadInfo(ArchiveObjectKey key)
    {
        var dataPath = DataPathOf(key);
        var metadataPath = dataPath + MetadataSuffix;
        if (!_fileSystem.FileExists(metadataPath))
        {
            return null;
        }

        byte[] bytes;
        try
        {
            using var file = _fileSystem.OpenFile(metadataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var length = file.Length;
            bytes = new byte[Math.Min(length, 8192)];
            file.ReadExactly(0, bytes);
        }
        catch (FileNotFoundException)
        {
            return null; // deleted concurrently
        }

        var info = ArchiveMetadataFile.Parse(key, bytes);
        if (!_fileSystem.FileExists(dataPath))
        {
            throw new ArchiveIntegrityException(key.RelativeKey, "its metadata file is present but its data file is missing");
        }

        return info;
    }

    /// <summary>Reads the stored bytes and returns why they do not match <paramref name="info"/>, or <see langword="null"/> when they do.</summary>
    private string? VerifyStoredBytes(ArchiveObjectKey key, ArchivedObjectInfo info)
    {
        using var file = _fileSystem.OpenFile(DataPathOf(key), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var (size, checksum) = Checksum(file, CancellationToken.None);
        if (size != info.StoredSize || checksum != info.StoredChecksum)
        {
            return $"the stored file has {size} bytes with CRC-32C {checksum:x8}; {info.StoredSize} bytes with {info.StoredChecksum:x8} were recorded";
        }

        if (info.IsUncompressed && (size != info.Original.Size || checksum != info.Original.Checksum))
        {
            return $"the stored file has {size} bytes with CRC-32C {checksum:x8}; the original had {info.Original.Size} bytes with {info.Original.Checksum:x8}";
        }

        return null;
    }

    private void Download(ArchiveObjectKey key, string destinationPath, CancellationToken cancellationToken)
    {
        var info = ReadInfo(key) ?? throw new ArchiveObjectNotFoundException(key.RelativeKey);
        if (!info.IsUncompressed)
        {
            throw new ArchiveIntegrityException(key.RelativeKey, $"its metadata names compression '{info.Compression}', which the file-system archive never writes");
        }

        var fullDestination = Path.GetFullPath(destinationPath);
        if (Path.GetDirectoryName(fullDestination) is { Length: > 0 } destinationDirectory)
        {
            _fileSystem.CreateDirectory(destinationDirectory);
        }

        var complete = false;
        try
        {
            long size;
            uint checksum;
            using (var source = _fileSystem.OpenFile(DataPathOf(key), FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            using (var target = _fileSystem.OpenFile(fullDestination, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                // Handed to the OS, not flushed to disk (see ISegmentArchive.DownloadAsync): the caller decides.
                (size, checksum) = Copy(source, target, cancellationToken);
            }

            if (size != info.StoredSize || checksum != info.StoredChecksum)
            {
                throw new ArchiveIntegrityException(
                    key.RelativeKey,
                    $"the stored file has {size} bytes with CRC-32C {checksum:x8}; {info.StoredSize} bytes with {info.StoredChecksum:x8} were recorded; the download was deleted");
            }

            if (size != info.Original.Size || checksum != info.Original.Checksum)
            {
                throw new ArchiveIntegrityException(
                    key.RelativeKey,
                    $"the downloaded file has {size} bytes with CRC-32C {checksum:x8}; the original had {info.Original.Size} bytes with {info.Original.Checksum:x8}; the download was deleted");
            }

            complete = true;
        }
        finally
        {
            if (!complete)
            {
                TryDelete(fullDestination);
            }
        }
    }

    private List<ArchivedObjectInfo> List(string log, string partition, CancellationToken cancellationToken)
    {
        var result = new List<ArchivedObjectInfo>();
        foreach (var path in _fileSystem.ListFiles(DirectoryOf(log, partition), "*"))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Path.GetFileName(path);
            if (name.StartsWith('.') || name.EndsWith(MetadataSuffix, StringComparison.Ordinal) || !ArchiveNames.IsValidName(name))
            {
                continue; // temporary files, sidecars and foreign files
            }

            var key = new ArchiveObjectKey(log, partition, name);
            var info = ReadInfo(key);
            if (info is null)
            {
                LogIncompleteObjectSkipped(_logger, key);
                continue;
            }

            result.Add(info);
        }

        return result;
    }

    private void Delete(ArchiveObjectKey key)
    {
        var directory = DirectoryOf(key.Log, key.Partition);
        var dataPath = DataPathOf(key);
        var metadataPath = dataPath + MetadataSuffix;
        if (_fileSystem.FileExists(metadataPath))
        {
            _fileSystem.DeleteFile(metadataPath);
            _fileSystem.FlushDirectory(directory);
        }

        if (_fileSystem.FileExists(dataPath))
        {
            _fileSystem.DeleteFile(dataPath);
            _fileSystem.FlushDirectory(directory);
        }
    }

    private (long Size, uint Checksum) CopyWithChecksum(string sourcePath, string targetPath, CancellationToken cancellationToken)
    {
        using var source = _fileSystem.OpenFile(sourcePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var target = _fileSystem.OpenFile(targetPath, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        var result = Copy(source, target, cancellationToken);
        target.Flush(dataOnly: false);
        return result;
    }

    private static (long Size, uint Checksum) Copy(IStorageFile source, IStorageFile target, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            long offset = 0;
            uint checksum = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = source.Read(offset, buffer.AsSpan(0, CopyBufferSize));
                if (read <= 0)
                {
                    return (offset, checksum);
                }

                var chunk = buffer.AsSpan(0, read);
                checksum = Crc32C.Append(checksum, chunk);
                target.Write(offset, chunk);
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static (long Size, uint Checksum) Checksum(IStorageFile file, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            long offset = 0;
            uint checksum = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = file.Read(offset, buffer.AsSpan(0, CopyBufferSize));
                if (read <= 0)
                {
                    return (offset, checksum);
                }

                checksum = Crc32C.Append(checksum, buffer.AsSpan(0, read));
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void WriteDurably(string path, ReadOnlySpan<byte> bytes)
    {
        using var file = _fileSystem.OpenFile(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        file.Write(0, bytes);
        file.Flush(dataOnly: false);
    }

    private void TryDelete(string path)
    {
        try
        {
            if (_fileSystem.FileExists(path))
            {
                _fileSystem.DeleteFile(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogCleanupFailed(_logger, path, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Archive object {Key} already holds the same verified bytes; the put changed nothing.")]
    private static partial void LogPutUnchanged(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archive object {Key} holds other content ({OldSize} bytes, CRC-32C {OldChecksum:x8}); replacing it with {NewSize} bytes, CRC-32C {NewChecksum:x8}.")]
    private static partial void LogReplacingObject(ILogger logger, string key, long oldSize, uint oldChecksum, long newSize, uint newChecksum);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archive object {Key} is damaged and is replaced by the put: {Detail}")]
    private static partial void LogDamagedObjectReplaced(ILogger logger, string key, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stored archive object {Key}: {Size} bytes, CRC-32C {Checksum:x8}, verified.")]
    private static partial void LogStored(ILogger logger, string key, long size, uint checksum);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Skipped {Key} while listing: it has no metadata file (an interrupted put).")]
    private static partial void LogIncompleteObjectSkipped(ILogger logger, ArchiveObjectKey key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the archive's root folder {Path}.")]
    private static partial void LogRootCreated(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove {Path} after a failed archive operation: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string path, string reason);
}
