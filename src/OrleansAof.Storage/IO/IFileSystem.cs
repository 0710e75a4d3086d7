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
