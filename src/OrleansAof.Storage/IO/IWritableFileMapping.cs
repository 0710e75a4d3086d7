namespace OrleansAof.Storage.IO;

/// <summary>
/// A shared, writable memory map of a file that is being appended to (the active segment). Bytes stored through
/// <see cref="Address"/> go straight into the operating system's page cache, exactly as <see cref="IStorageFile.Write"/>
/// puts them there: they survive the death of the process, and <see cref="IStorageFile.Flush"/> of the file makes them
/// durable. Disposing it unmaps the memory (dirty pages stay in the page cache and are written back as usual).
/// </summary>
/// <remarks>
/// Only the first <see cref="Length"/> bytes may be written: the file holds them, with their disk blocks allocated, so that
/// storing into a page can neither fall past the end of the file nor need an allocation that could only fail as a signal
/// (SIGBUS, which .NET cannot catch). <see cref="TryGrow"/> extends that range, up to <see cref="Capacity"/>. The caller
/// serialises all use of a mapping with its disposal: touching it after <see cref="IDisposable.Dispose"/> is an access
/// violation, not an exception.
/// </remarks>
public interface IWritableFileMapping : IDisposable
{
    /// <summary>The address of the file's first byte.</summary>
    nint Address { get; }

    /// <summary>How many bytes of address space are mapped (from file offset 0): the most the file may grow to through this mapping.</summary>
    long Capacity { get; }

    /// <summary>How many bytes from the start of the file may be written through <see cref="Address"/> now.</summary>
    long Length { get; }

    /// <summary>
    /// The size of the pages the file is mapped in (a power of two): 4 KiB, or 2 MiB where the kernel maps the file's page
    /// cache in huge pages. Pages are written back whole, so a caller that starts write-back early does it a page at a time.
    /// </summary>
    long PageSize { get; }

    /// <summary>
    /// Makes at least <paramref name="length"/> bytes writable: extends the file to that length with zeros and allocates
    /// its blocks (<c>fallocate</c>). <see langword="false"/>, with nothing changed that a reader of the file could tell
    /// apart from zeros, when <paramref name="length"/> is over <see cref="Capacity"/> or the file system cannot allocate
    /// (no space, no support): the caller then writes through <see cref="IStorageFile.Write"/>, which reports the problem.
    /// </summary>
    bool TryGrow(long length);

    /// <summary>
    /// Brings the pages of <paramref name="offset"/>..<paramref name="offset"/> + <paramref name="length"/> (inside
    /// <see cref="Length"/>) into memory, writable, in one call (<c>madvise(MADV_POPULATE_WRITE)</c> on Linux 5.14 and
    /// later), so that storing into them neither faults page by page nor can fail as a signal. <see langword="false"/> when a
    /// page cannot be brought in (no memory, the device failed to read it, the file system has no block for it): the caller
    /// then writes through <see cref="IStorageFile.Write"/>, which reports the problem. <see langword="true"/> without doing
    /// anything where the call does not exist.
    /// </summary>
    bool TryPrepareWrite(long offset, long length);

    /// <summary>
    /// Drops the pages of the range from this process's page tables (<c>madvise(MADV_DONTNEED)</c>): their bytes stay in the
    /// page cache, dirty ones still to be written back, and a later store faults them in again. For pages that will not be
    /// stored into any more: the write-back of a page that is still mapped writable has to write-protect it first, one
    /// cross-CPU TLB flush per page, while releasing a range costs one; and released pages stop counting as the process's
    /// resident memory.
    /// </summary>
    void Release(long offset, long length);
}
