namespace OrleansAof.Storage.IO;

/// <summary>
/// Every file operation of the engine goes through this interface, so that platform differences stay in one
/// place (<see cref="PhysicalFileSystem"/>) and tests can inject faults (the test double <c>FaultInjectingFileSystem</c> in <c>test/OrleansAof.TestInfrastructure</c>).
/// </summary>
public interface IFileSystem
{
    /// <summary>Opens or creates a file for random access.</summary>
    /// <param name="path">Full path.</param>
    /// <param name="mode">How to open it.</param>
    /// <param name="access">Read, write or both.</param>
    /// <param name="share">What other openers may do. <see cref="FileShare.None"/> takes an exclusive lock (also between processes).</param>
    /// <param name="preallocationSize">When creating, reserve this many bytes (a hint; 0 for none).</param>
    IStorageFile OpenFile(string path, FileMode mode, FileAccess access, FileShare share = FileShare.Read, long preallocationSize = 0);

    /// <summary>Whether a file exists.</summary>
    bool FileExists(string path);

    /// <summary>Whether a directory exists.</summary>
    bool DirectoryExists(string path);

    /// <summary>Creates a directory and its parents.</summary>
    void CreateDirectory(string path);

    /// <summary>Deletes a file; a missing file is not an error.</summary>
    void DeleteFile(string path);

    /// <summary>Renames a file atomically within a volume.</summary>
    void MoveFile(string source, string destination, bool overwrite);

    /// <summary>Copies a file.</summary>
    void CopyFile(string source, string destination, bool overwrite);

    /// <summary>Full paths of the files in <paramref name="directory"/> matching <paramref name="searchPattern"/>, sorted ordinally.</summary>
    IReadOnlyList<string> ListFiles(string directory, string searchPattern);

    /// <summary>The length of a file in bytes.</summary>
    long GetFileLength(string path);

    /// <summary>
    /// Makes the creation, rename or deletion of entries in <paramref name="directory"/> durable (fsync of the
    /// directory on Unix; a no-op on Windows, where NTFS journals metadata changes).
    /// </summary>
    void FlushDirectory(string directory);

    /// <summary>
    /// Announces that a component which writes a file without going through this interface (the SQLite segment catalog)
    /// is about to write <paramref name="path"/>. It calls this before each write so that a file system for tests can
    /// count the write as one step and refuse it after a simulated crash (by throwing an <see cref="IOException"/>, which
    /// the caller lets through without writing). Does nothing by default.
    /// </summary>
    /// <param name="path">The file about to be written.</param>
    void BeforeExternalWrite(string path)
    {
    }
}

/// <summary>A file open for positional reads and writes.</summary>
public interface IStorageFile : IDisposable
{
    /// <summary>The file's full path.</summary>
    string Path { get; }

    /// <summary>The current length of the file.</summary>
    long Length { get; }

    /// <summary>Sets the length of the file (extends with zeros or truncates).</summary>
    void SetLength(long length);

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>; fewer only at the end of the file.</summary>
    int Read(long offset, Span<byte> buffer);

    /// <summary>Writes all of <paramref name="buffer"/> at <paramref name="offset"/> (to the operating system, not yet durably).</summary>
    void Write(long offset, ReadOnlySpan<byte> buffer);

    /// <summary>
    /// Makes everything written so far durable. With <paramref name="dataOnly"/> metadata that is not needed to read
    /// the data back (such as the modification time) may stay behind (fdatasync); otherwise it is flushed too (fsync).
    /// </summary>
    void Flush(bool dataOnly);

    /// <summary>
    /// Asks the operating system to start writing the given range to the device now, without waiting and without
    /// making it durable (<c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c> on Linux). A hint: it does nothing where the
    /// platform has no such call, and a later <see cref="Flush"/> still reports any write error.
    /// </summary>
    void StartWriteBack(long offset, long length)
    {
    }

    /// <summary>
    /// Maps the first <paramref name="length"/> bytes of the file into memory for reading, or returns
    /// <see langword="null"/> where the implementation or platform does not offer it (the caller then reads through
    /// <see cref="Read"/>). Only for files that no longer change: the engine maps sealed segments, never the active
    /// one. The mapping is independent of this handle's lifetime but must be disposed before the file is deleted
    /// on platforms that refuse to delete a mapped file.
    /// </summary>
    /// <remarks>
    /// Touching a mapped page that the file no longer holds (someone truncated it) or that the device fails to
    /// deliver raises SIGBUS, which .NET turns into a fatal <see cref="AccessViolationException"/>: the process aborts,
    /// it is not an <see cref="IOException"/>. So a caller asks <see cref="IReadOnlyFileMapping.TryPrepareRead"/> before
    /// it touches a range and reads through <see cref="Read"/> when the answer is no.
    /// </remarks>
    /// <param name="length">Bytes to map from offset 0; at most the file's length.</param>
    IReadOnlyFileMapping? TryMapReadOnly(long length) => null;
}

/// <summary>A read-only memory map of the start of a file. Disposing it unmaps the memory.</summary>
public interface IReadOnlyFileMapping : IDisposable
{
    /// <summary>The address of the file's first byte.</summary>
    nint Address { get; }

    /// <summary>How many bytes are mapped.</summary>
    long Length { get; }

    /// <summary>
    /// Whether the bytes <paramref name="offset"/>..<paramref name="offset"/> + <paramref name="length"/> can be read
    /// through <see cref="Address"/> now without a fault of the process. Pages that are not in memory are brought in
    /// first, through a call that reports failure instead of raising a signal. <see langword="false"/> when the range
    /// is outside the mapping, the file no longer holds it (it was truncated), the device failed to deliver it, or the
    /// platform cannot tell: the caller then reads the range through <see cref="IStorageFile.Read"/>, which reports the
    /// problem as a short read or an <see cref="IOException"/>.
    /// </summary>
    /// <remarks>
    /// The answer holds for the moment it is given. A page can still leave memory afterwards (reclaimed under memory
    /// pressure, or dropped by a truncation) and fault when it is touched; callers therefore prepare a range right
    /// before they touch it and keep ranges short.
    /// </remarks>
    bool TryPrepareRead(long offset, long length);
}

/// <summary>Helpers over <see cref="IStorageFile"/> and <see cref="IFileSystem"/>.</summary>
public static class StorageFileExtensions
{
    /// <summary>
    /// Creates <paramref name="directory"/> and any missing parents, and makes each new entry durable by flushing the
    /// directory that holds it (a new directory is not on stable storage until its parent is flushed, so a file made
    /// durable inside it could still vanish at a power loss). Does nothing when the directory exists.
    /// </summary>
    public static void CreateDirectoryDurably(this IFileSystem fileSystem, string directory)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        var missing = new Stack<string>();
        for (var d = System.IO.Path.GetFullPath(directory); d is not null && !fileSystem.DirectoryExists(d); d = System.IO.Path.GetDirectoryName(d))
        {
            missing.Push(d);
        }

        while (missing.TryPop(out var d))
        {
            fileSystem.CreateDirectory(d);
            if (System.IO.Path.GetDirectoryName(d) is { } parent)
            {
                fileSystem.FlushDirectory(parent);
            }
        }
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes or throws <see cref="EndOfStreamException"/>.</summary>
    public static void ReadExactly(this IStorageFile file, long offset, Span<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(file);
        var total = 0;
        while (total < buffer.Length)
        {
            var n = file.Read(offset + total, buffer[total..]);
            if (n <= 0)
            {
                throw new EndOfStreamException($"'{file.Path}' ended at {offset + total} while {buffer.Length - total} more bytes were expected.");
            }

            total += n;
        }
    }

    /// <summary>Reads as many bytes as are there, up to <paramref name="buffer"/>.Length.</summary>
    public static int ReadAtMost(this IStorageFile file, long offset, Span<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(file);
        var total = 0;
        while (total < buffer.Length)
        {
            var n = file.Read(offset + total, buffer[total..]);
            if (n <= 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
