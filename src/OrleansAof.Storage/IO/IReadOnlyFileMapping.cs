namespace OrleansAof.Storage.IO;

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
