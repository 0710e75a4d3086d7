using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Archive;

/// <summary>
/// The blob store of <see cref="FileSystemArchive"/>: a blob is the file <c>{root}/{key}</c> with its metadata in a
/// checksummed sidecar <c>{file}.aofmeta</c> (<see cref="ArchiveMetadataFile"/>). Only transport, the root folder and
/// the folder's errors live here; the archive protocol is <see cref="BlobSegmentArchive"/>.
/// </summary>
/// <remarks>
/// A put copies to a temporary file (a name starting with a dot), fsyncs it, writes and fsyncs the sidecar the same way,
/// hides an old sidecar, renames the data and then the sidecar into place (the sidecar's rename commits the blob) and
/// fsyncs the folder. A data file without a sidecar is the remains of an interrupted put: it has no info and the next
/// put replaces it. Every file operation goes through <see cref="IFileSystem"/> on the thread pool.
/// </remarks>
internal sealed partial class FileSystemBlobStorage : IArchiveBlobStorage
{
    private const string TempSuffix = ".tmp";
    private const int CopyBufferSize = 1 << 20;
    private const int MaxSidecarBytes = 8192;

    private readonly IFileSystem _fileSystem;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly bool _createRoot;
    private volatile bool _rootSeen;

    public FileSystemBlobStorage(string rootPath, bool createRoot, IFileSystem fileSystem, TimeProvider timeProvider, ILogger logger)
    {
        RootPath = rootPath;
        _createRoot = createRoot;
        _fileSystem = fileSystem;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public string RootPath { get; }

    public string Description => $"file-system archive at '{RootPath}'";

    public Task PutAsync(string key, ArchiveBlobUpload upload, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        return Task.Run(() => Guard(() => Put(key, upload, cancellationToken)), cancellationToken);
    }

    public Task<ArchiveBlobInfo?> GetInfoAsync(string key, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        return Task.Run(() => Guard(() => ReadInfo(key)), cancellationToken);
    }

    public Task<ArchiveBlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        return Task.Run(
            () => Guard(() =>
            {
                var info = ReadInfo(key);
                if (info is null)
                {
                    return null;
                }

                var file = _fileSystem.OpenFile(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                return new ArchiveBlobContent(info, new StorageFileStream(file, canWrite: false));
            }),
            cancellationToken);
    }

    public async IAsyncEnumerable<string> ListAsync(string folder, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var names = await Task.Run(() => Guard(() => List(folder)), cancellationToken).ConfigureAwait(false);
        foreach (var name in names)
        {
            yield return name;
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        return Task.Run(() => Guard(() => Delete(key)), cancellationToken);
    }

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

    private static void ValidateKey(string key)
    {
        if (key.EndsWith(FileSystemArchive.MetadataSuffix, StringComparison.Ordinal))
        {
            throw new InvalidPartitionNameException(Path.GetFileName(key), $"names ending in '{FileSystemArchive.MetadataSuffix}' are reserved for the archive's metadata files");
        }
    }

    private string PathOf(string key) => Path.Combine(RootPath, key.Replace('/', Path.DirectorySeparatorChar));

    private void Put(string key, ArchiveBlobUpload upload, CancellationToken cancellationToken)
    {
        var dataPath = PathOf(key);
        var metadataPath = dataPath + FileSystemArchive.MetadataSuffix;
        var directory = Path.GetDirectoryName(dataPath)!;
        var fileName = Path.GetFileName(dataPath);
        _fileSystem.CreateDirectoryDurably(directory);
        var token = Guid.NewGuid().ToString("N");
        var tempData = Path.Combine(directory, $".{fileName}.{token}{TempSuffix}");
        var tempMetadata = Path.Combine(directory, $".{fileName}{FileSystemArchive.MetadataSuffix}.{token}{TempSuffix}");
        var committed = false;
        try
        {
            WriteDurably(tempData, upload.Content, cancellationToken);
            WriteDurably(tempMetadata, ArchiveMetadataFile.Serialize(key, upload.Metadata, _timeProvider.GetUtcNow()));
            cancellationToken.ThrowIfCancellationRequested();

            if (_fileSystem.FileExists(metadataPath))
            {
                // Hide the old blob before its data is replaced, so no reader pairs old metadata with new bytes.
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
    }

    private ArchiveBlobInfo? ReadInfo(string key)
    {
        var dataPath = PathOf(key);
        var metadataPath = dataPath + FileSystemArchive.MetadataSuffix;
        if (!_fileSystem.FileExists(metadataPath))
        {
            return null;
        }

        byte[] bytes;
        try
        {
            using var file = _fileSystem.OpenFile(metadataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            bytes = new byte[Math.Min(file.Length, MaxSidecarBytes)];
            file.ReadExactly(0, bytes);
        }
        catch (FileNotFoundException)
        {
            return null; // deleted concurrently
        }

        var (metadata, storedAt) = ArchiveMetadataFile.Parse(key, bytes);
        if (!_fileSystem.FileExists(dataPath))
        {
            throw new ArchiveIntegrityException(key, "its metadata file is present but its data file is missing");
        }

        return new ArchiveBlobInfo(_fileSystem.GetFileLength(dataPath), metadata, storedAt);
    }

    private List<string> List(string folder)
    {
        var result = new List<string>();
        foreach (var path in _fileSystem.ListFiles(PathOf(folder), "*"))
        {
            var name = Path.GetFileName(path);
            if (!name.StartsWith('.') && !name.EndsWith(FileSystemArchive.MetadataSuffix, StringComparison.Ordinal))
            {
                result.Add(name); // not temporary files or sidecars
            }
        }

        result.Sort(StringComparer.Ordinal);
        return result;
    }

    private void Delete(string key)
    {
        var dataPath = PathOf(key);
        var directory = Path.GetDirectoryName(dataPath)!;
        foreach (var path in new[] { dataPath + FileSystemArchive.MetadataSuffix, dataPath })
        {
            if (_fileSystem.FileExists(path))
            {
                _fileSystem.DeleteFile(path);
                _fileSystem.FlushDirectory(directory);
            }
        }
    }

    private void WriteDurably(string path, Stream content, CancellationToken cancellationToken)
    {
        using var target = _fileSystem.OpenFile(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            long offset = 0;
            int read;
            while ((read = content.Read(buffer, 0, CopyBufferSize)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                target.Write(offset, buffer.AsSpan(0, read));
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        target.Flush(dataOnly: false);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the archive's root folder {Path}.")]
    private static partial void LogRootCreated(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove {Path} after a failed archive operation: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string path, string reason);
}
