using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OrleansAof.Storage.IO;

/// <summary>
/// The real file system. Platform notes (also in docs/format.md):
/// <list type="bullet">
/// <item><see cref="FileShare.None"/> is an exclusive lock: a share mode on Windows, <c>flock(LOCK_EX)</c> on Unix, both across processes.</item>
/// <item><see cref="IStorageFile.Flush"/> is <c>fdatasync</c> (data only) or <c>fsync</c> on Linux, <c>fsync</c> on other Unix systems and <c>FlushFileBuffers</c> on Windows.</item>
/// <item><see cref="FlushDirectory"/> fsyncs the directory on Unix; on Windows it does nothing (NTFS journals metadata).</item>
/// <item><see cref="IStorageFile.StartWriteBack"/> is <c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c> on Linux and does nothing elsewhere.</item>
/// <item>Files are opened with <see cref="FileShare.Delete"/> added, so a sealed segment can be renamed or deleted while a reader holds it (on Windows too).</item>
/// <item><see cref="IStorageFile.TryMapReadOnly"/> maps the file (<c>mmap</c>, <c>PROT_READ</c>, <c>MAP_SHARED</c>) on Unix, where an open
/// mapping keeps a renamed or deleted file's data alive like an open descriptor does. On Windows it returns
/// <see langword="null"/>: a mapped view keeps the file from being deleted until it is unmapped, and the archiver deletes sealed
/// segments that a scan may still be reading, so reads there stay on the handle. It maps only when the file (<c>fstat</c>)
/// is at least as long as asked.</item>
/// <item><see cref="IStorageFile.TryMapWritable"/> maps the file (<c>mmap</c>, <c>PROT_READ | PROT_WRITE</c>, <c>MAP_SHARED</c>) on Linux
/// only, and grows it with <c>fallocate</c>; it returns <see langword="null"/> elsewhere and where <c>fallocate</c> is not supported.
/// A shared mapping writes into the same page cache as <c>pwrite</c>, and <c>fdatasync</c> of the file writes its dirty pages
/// back (Linux's <c>msync(MS_SYNC)</c> is the same <c>vfs_fsync_range(datasync)</c> call over the mapped range), so the flush
/// of the file is the flush of the mapping.</item>
/// <item><see cref="IReadOnlyFileMapping.TryPrepareRead"/> asks <c>mincore</c> which pages of the range are in the page cache and
/// brings the others in with <c>madvise(MADV_POPULATE_READ)</c> (Linux 5.14 and later), which fails with <c>EFAULT</c> where
/// touching the page would raise SIGBUS (a page past the end of a truncated file, a device read error) instead of
/// raising it. Where that call is missing (older kernels, other Unix systems) a range with pages out of memory answers
/// <see langword="false"/> and the caller reads it with <c>pread</c>, which brings it into the page cache for next time.</item>
/// </list>
/// </summary>
public sealed partial class PhysicalFileSystem : IFileSystem
{
    /// <summary>The shared instance.</summary>
    public static PhysicalFileSystem Instance { get; } = new();

    /// <inheritdoc />
    public IStorageFile OpenFile(string path, FileMode mode, FileAccess access, FileShare share = FileShare.Read, long preallocationSize = 0)
    {
        var effectiveShare = share == FileShare.None ? FileShare.None : share | FileShare.Delete;
        var handle = File.OpenHandle(path, mode, access, effectiveShare, FileOptions.None, preallocationSize);
        return new PhysicalFile(path, handle);
    }

    /// <inheritdoc />
    public bool FileExists(string path) => File.Exists(path);

    /// <inheritdoc />
    public bool DirectoryExists(string path) => Directory.Exists(path);

    /// <inheritdoc />
    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    /// <inheritdoc />
    public void DeleteFile(string path) => File.Delete(path);

    /// <inheritdoc />
    public void MoveFile(string source, string destination, bool overwrite) => File.Move(source, destination, overwrite);

    /// <inheritdoc />
    public void CopyFile(string source, string destination, bool overwrite) => File.Copy(source, destination, overwrite);

    /// <inheritdoc />
    public IReadOnlyList<string> ListFiles(string directory, string searchPattern)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var files = Directory.GetFiles(directory, searchPattern);
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    /// <inheritdoc />
    public long GetFileLength(string path) => new FileInfo(path).Length;

    /// <inheritdoc />
    public void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Native.Open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw new IOException($"Could not open directory '{directory}' to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Native.FSync(fd) != 0)
            {
                throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Native.Close(fd);
        }
    }

    private sealed class PhysicalFile(string path, SafeFileHandle handle) : IStorageFile
    {
        public string Path { get; } = path;

        public long Length => RandomAccess.GetLength(handle);

        public void SetLength(long length) => RandomAccess.SetLength(handle, length);

        public int Read(long offset, Span<byte> buffer) => RandomAccess.Read(handle, buffer, offset);

        public void Write(long offset, ReadOnlySpan<byte> buffer) => RandomAccess.Write(handle, buffer, offset);

        public void Flush(bool dataOnly)
        {
            if (OperatingSystem.IsWindows())
            {
                if (!Native.FlushFileBuffers(handle))
                {
                    throw new IOException($"FlushFileBuffers of '{Path}' failed (error {Marshal.GetLastPInvokeError()}).");
                }

                return;
            }

            var rc = dataOnly && OperatingSystem.IsLinux() ? Native.FDataSync(handle) : Native.FSync(handle);
            if (rc != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"{(dataOnly ? "fdatasync" : "fsync")} of '{Path}' failed (errno {errno}).", errno);
            }
        }

        public void StartWriteBack(long offset, long length)
        {
            if (OperatingSystem.IsLinux())
            {
                try
                {
                    // SYNC_FILE_RANGE_WRITE = 2. Errors are left to the next fsync, which reports them.
                    _ = Native.SyncFileRange(handle, offset, length, 2);
                }
                catch (ObjectDisposedException)
                {
                    // The segment was closed meanwhile; a hint has nothing to do then.
                }
            }
        }

        public IReadOnlyFileMapping? TryMapReadOnly(long length)
        {
            if (OperatingSystem.IsWindows() || length <= 0 || length > RandomAccess.GetLength(handle))
            {
                return null;
            }

            return PhysicalMapping.Create(handle, length);
        }

        public IWritableFileMapping? TryMapWritable(long capacity) => PhysicalWritableMapping.TryCreate(handle, capacity);

        public void Dispose() => handle.Dispose();
    }

    private sealed unsafe class PhysicalMapping : IReadOnlyFileMapping
    {
        /// <summary>Pages whose residency one <c>mincore</c> call asks about (1 MiB of 4 KiB pages).</summary>
        private const int ResidencyChunkPages = 256;

        private const int MadvPopulateRead = 22;

        private const int Einval = 22;

        private static bool _populateUnsupported;

        private readonly MemoryMappedFile _map;
        private readonly MemoryMappedViewAccessor _view;
        private int _disposed;

        private PhysicalMapping(MemoryMappedFile map, MemoryMappedViewAccessor view, nint address, long length)
        {
            _map = map;
            _view = view;
            Address = address;
            Length = length;
        }

        public nint Address { get; }

        public long Length { get; }

        public bool TryPrepareRead(long offset, long length)
        {
            if (offset < 0 || length < 0 || offset > Length - length || Volatile.Read(ref _disposed) != 0)
            {
                return false;
            }

            if (length == 0)
            {
                return true;
            }

            // mincore and madvise take page-aligned addresses; the view starts at file offset 0, so on a page boundary.
            var pageSize = (nint)Environment.SystemPageSize;
            var at = (Address + (nint)offset) & ~(pageSize - 1);
            var end = Address + (nint)offset + (nint)length;
            byte* residency = stackalloc byte[ResidencyChunkPages];
            while (at < end)
            {
                var bytes = Math.Min(end - at, ResidencyChunkPages * pageSize);
                var pages = (int)((bytes + pageSize - 1) / pageSize);
                if (Native.MinCore(at, (nuint)bytes, residency) != 0)
                {
                    return false;
                }

                for (var i = 0; i < pages;)
                {
                    if ((residency[i] & 1) != 0)
                    {
                        i++;
                        continue;
                    }

                    // A run of pages that are not in memory: bring them in through a call that fails instead of faulting.
                    var run = i + 1;
                    while (run < pages && (residency[run] & 1) == 0)
                    {
                        run++;
                    }

                    if (!Populate(at + (i * pageSize), (run - i) * pageSize))
                    {
                        return false;
                    }

                    i = run;
                }

                at += pages * pageSize;
            }

            return true;
        }

        private static bool Populate(nint address, nint length)
        {
            if (!OperatingSystem.IsLinux() || _populateUnsupported)
            {
                return false;
            }

            if (Native.MAdvise(address, (nuint)length, MadvPopulateRead) == 0)
            {
                return true;
            }

            // EINVAL: a kernel before 5.14 does not know MADV_POPULATE_READ; the caller's buffered read does the work.
            // EFAULT: a page would raise SIGBUS (past the end of the file, or the device failed to read it). Others
            // (ENOMEM, EINTR): try the buffered read, which reports what is wrong.
            if (Marshal.GetLastPInvokeError() == Einval)
            {
                _populateUnsupported = true;
            }

            return false;
        }

        public static PhysicalMapping Create(SafeFileHandle handle, long length)
        {
            var map = MemoryMappedFile.CreateFromFile(handle, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            MemoryMappedViewAccessor? view = null;
            try
            {
                view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
                byte* pointer = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
                return new PhysicalMapping(map, view, (nint)(pointer + view.PointerOffset), length);
            }
            catch
            {
                view?.Dispose();
                map.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
                _view.Dispose();
                _map.Dispose();
            }
        }
    }

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
        internal static partial int FDataSync(SafeFileHandle fd);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        internal static partial int FSync(SafeFileHandle fd);

        [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
        internal static partial int SyncFileRange(SafeFileHandle fd, long offset, long nbytes, uint flags);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        internal static partial int FSync(int fd);

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        internal static partial int Close(int fd);

        [LibraryImport("libc", EntryPoint = "mincore", SetLastError = true)]
        internal static unsafe partial int MinCore(nint address, nuint length, byte* residency);

        [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
        internal static partial int MAdvise(nint address, nuint length, int advice);

        [LibraryImport("kernel32.dll", EntryPoint = "FlushFileBuffers", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static partial bool FlushFileBuffers(SafeFileHandle handle);
    }
}
