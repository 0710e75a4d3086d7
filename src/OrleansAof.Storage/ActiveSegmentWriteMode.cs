namespace OrleansAof.Storage;

/// <summary>How appends reach the active segment's file (<see cref="PartitionLogOptions.ActiveSegmentWrite"/>).</summary>
public enum ActiveSegmentWriteMode
{
    /// <summary>
    /// Non-<c>Sync</c> appends of up to 16 KiB are encoded straight into a shared, writable memory map of the active segment
    /// once it holds 1 MiB (a quarter of smaller segments): one copy into the page cache per append instead of a system call. The contract is the same as with <see cref="Write"/> (a stored page is in the
    /// operating system's page cache, so a process crash loses nothing; a flush makes it durable). Used where the file
    /// system offers it (<see cref="IO.IStorageFile.TryMapWritable"/>: Linux with <c>fallocate</c>); elsewhere, and for a
    /// segment whose file cannot grow through the mapping, appends are written as with <see cref="Write"/>.
    /// </summary>
    Mapped,

    /// <summary>One positional write (<c>pwrite</c>) per append (per batch).</summary>
    Write,
}
