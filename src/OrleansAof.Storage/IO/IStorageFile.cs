namespace OrleansAof.Storage.IO;

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

    /// <summary>
    /// Maps the file for writing (a shared mapping of <paramref name="capacity"/> bytes of address space from offset 0),
    /// or returns <see langword="null"/> where the implementation or platform does not offer it (the caller then writes
    /// through <see cref="Write"/>). For the file being appended to: the engine encodes records of the active segment into
    /// it instead of calling <see cref="Write"/> once per append. Writes through the mapping and through <see cref="Write"/>
    /// see the same bytes (one page cache), and <see cref="Flush"/> makes both durable. The mapping is independent of this
    /// handle's lifetime; the caller disposes it before it changes the file's length below what it mapped (a seal cuts the
    /// file).
    /// </summary>
    /// <param name="capacity">Bytes of address space to map: the most the file will be written to through the mapping.</param>
    IWritableFileMapping? TryMapWritable(long capacity) => null;
}
