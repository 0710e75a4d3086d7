namespace OrleansAof.Storage.IO;

/// <summary>
/// A file system for tests that passes everything to an inner one and injects the failures the engine must
/// survive: a write torn at a chosen byte (a crash in the middle of a write), a failing fsync, a full disk and
/// a read-only volume. After a tear the instance behaves like a dead process: every later write and flush
/// throws, so nothing after the tear reaches the disk.
/// </summary>
/// <remarks>Only writes to files whose path satisfies <see cref="WriteFilter"/> are counted and torn (all files by default).</remarks>
public sealed class FaultInjectingFileSystem(IFileSystem inner) : IFileSystem
{
    private readonly Lock _sync = new();
    private long _bytesWritten;
    private long _tearAtByte = -1;
    private long _diskFullAtByte = -1;
    private int _flushesBeforeFailure = -1;
    private int _flushCount;
    private int _writeCount;
    private int _mappingCount;

    /// <summary>Creates an instance over the real file system.</summary>
    public FaultInjectingFileSystem()
        : this(PhysicalFileSystem.Instance)
    {
    }

    /// <summary>Which files the write counter, the tear and the full disk apply to.</summary>
    public Func<string, bool> WriteFilter { get; set; } = static _ => true;

    /// <summary>Bytes written so far to files that pass <see cref="WriteFilter"/>.</summary>
    public long BytesWritten { get { lock (_sync) { return _bytesWritten; } } }

    /// <summary>Write calls so far to files that pass <see cref="WriteFilter"/>.</summary>
    public int WriteCount { get { lock (_sync) { return _writeCount; } } }

    /// <summary>Successful flushes so far.</summary>
    public int FlushCount { get { lock (_sync) { return _flushCount; } } }

    /// <summary>Whether a tear happened: the simulated process is dead.</summary>
    public bool Crashed { get; private set; }

    /// <summary>
    /// Whether files may be memory-mapped for reading (<see cref="IStorageFile.TryMapReadOnly"/> passes to the inner file
    /// system). Off, every read goes through <see cref="IStorageFile.Read"/>, as on a platform without mappings. Default on.
    /// </summary>
    public bool AllowMapping { get; set; } = true;

    /// <summary>How many mappings were handed out.</summary>
    public int MappingCount => Volatile.Read(ref _mappingCount);

    /// <summary>When set, opening any file for writing and every mutation fail with <see cref="UnauthorizedAccessException"/>.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>
    /// Tears the write that crosses the given count of bytes written (counted from the start of this instance):
    /// the bytes before it reach the file, the rest do not, the write throws and the instance is crashed.
    /// </summary>
    public void TearAtByte(long byteCount)
    {
        lock (_sync)
        {
            _tearAtByte = byteCount;
        }
    }

    /// <summary>Writes that would take the byte count past <paramref name="byteCount"/> fail with a "no space left" error and write nothing.</summary>
    public void DiskFullAtByte(long byteCount)
    {
        lock (_sync)
        {
            _diskFullAtByte = byteCount;
        }
    }

    /// <summary>After <paramref name="successfulFlushes"/> more successful flushes, every flush fails.</summary>
    public void FailFlushAfter(int successfulFlushes)
    {
        lock (_sync)
        {
            _flushesBeforeFailure = successfulFlushes;
        }
    }

    /// <summary>Removes every pending fault (a crash stays a crash).</summary>
    public void ClearFaults()
    {
        lock (_sync)
        {
            _tearAtByte = -1;
            _diskFullAtByte = -1;
            _flushesBeforeFailure = -1;
            ReadOnly = false;
        }
    }

    /// <inheritdoc />
    public IStorageFile OpenFile(string path, FileMode mode, FileAccess access, FileShare share = FileShare.Read, long preallocationSize = 0)
    {
        if ((access & FileAccess.Write) != 0)
        {
            ThrowIfReadOnlyOrCrashed(path);
        }

        return new FaultyFile(this, inner.OpenFile(path, mode, access, share, preallocationSize));
    }

    /// <inheritdoc />
    public bool FileExists(string path) => inner.FileExists(path);

    /// <inheritdoc />
    public bool DirectoryExists(string path) => inner.DirectoryExists(path);

    /// <inheritdoc />
    public void CreateDirectory(string path)
    {
        if (!inner.DirectoryExists(path))
        {
            ThrowIfReadOnlyOrCrashed(path);
        }

        inner.CreateDirectory(path);
    }

    /// <inheritdoc />
    public void DeleteFile(string path)
    {
        ThrowIfReadOnlyOrCrashed(path);
        inner.DeleteFile(path);
    }

    /// <inheritdoc />
    public void MoveFile(string source, string destination, bool overwrite)
    {
        ThrowIfReadOnlyOrCrashed(destination);
        inner.MoveFile(source, destination, overwrite);
    }

    /// <inheritdoc />
    public void CopyFile(string source, string destination, bool overwrite)
    {
        ThrowIfReadOnlyOrCrashed(destination);
        var length = inner.GetFileLength(source);
        if (WriteFilter(destination))
        {
            ReserveWrite(destination, length, out var allowed);
            if (allowed < length)
            {
                throw new IOException($"Injected fault: copy to '{destination}' failed.");
            }
        }

        inner.CopyFile(source, destination, overwrite);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> ListFiles(string directory, string searchPattern) => inner.ListFiles(directory, searchPattern);

    /// <inheritdoc />
    public long GetFileLength(string path) => inner.GetFileLength(path);

    /// <inheritdoc />
    public void FlushDirectory(string directory)
    {
        ThrowIfCrashed(directory);
        inner.FlushDirectory(directory);
    }

    private void ThrowIfReadOnlyOrCrashed(string path)
    {
        ThrowIfCrashed(path);
        if (ReadOnly)
        {
            throw new UnauthorizedAccessException($"Injected fault: '{path}' is on a read-only volume.");
        }
    }

    private void ThrowIfCrashed(string path)
    {
        if (Crashed)
        {
            throw new IOException($"Injected fault: the process crashed before touching '{path}'.");
        }
    }

    /// <summary>Counts a write of <paramref name="length"/> bytes; <paramref name="allowed"/> is how many of them may reach the file.</summary>
    private void ReserveWrite(string path, long length, out long allowed)
    {
        lock (_sync)
        {
            ThrowIfReadOnlyOrCrashed(path);
            if (_diskFullAtByte >= 0 && _bytesWritten + length > _diskFullAtByte)
            {
                throw new IOException($"Injected fault: no space left on device writing '{path}'.", 28 /* ENOSPC */);
            }

            _writeCount++;
            if (_tearAtByte >= 0 && _bytesWritten + length > _tearAtByte)
            {
                allowed = _tearAtByte - _bytesWritten;
                _bytesWritten = _tearAtByte;
                Crashed = true;
                return;
            }

            _bytesWritten += length;
            allowed = length;
        }
    }

    private void CountFlush(string path)
    {
        lock (_sync)
        {
            ThrowIfCrashed(path);
            if (_flushesBeforeFailure == 0)
            {
                throw new IOException($"Injected fault: flush of '{path}' failed.", 5 /* EIO */);
            }

            if (_flushesBeforeFailure > 0)
            {
                _flushesBeforeFailure--;
            }

            _flushCount++;
        }
    }

    private sealed class FaultyFile(FaultInjectingFileSystem owner, IStorageFile inner) : IStorageFile
    {
        public string Path => inner.Path;

        public long Length => inner.Length;

        public void SetLength(long length)
        {
            owner.ThrowIfReadOnlyOrCrashed(Path);
            inner.SetLength(length);
        }

        public int Read(long offset, Span<byte> buffer) => inner.Read(offset, buffer);

        public void Write(long offset, ReadOnlySpan<byte> buffer)
        {
            if (!owner.WriteFilter(Path))
            {
                owner.ThrowIfReadOnlyOrCrashed(Path);
                inner.Write(offset, buffer);
                return;
            }

            owner.ReserveWrite(Path, buffer.Length, out var allowed);
            if (allowed < buffer.Length)
            {
                if (allowed > 0)
                {
                    inner.Write(offset, buffer[..(int)allowed]);
                }

                throw new IOException($"Injected fault: write to '{Path}' torn after {allowed} of {buffer.Length} bytes.");
            }

            inner.Write(offset, buffer);
        }

        public void Flush(bool dataOnly)
        {
            owner.CountFlush(Path);
            inner.Flush(dataOnly);
        }

        public IReadOnlyFileMapping? TryMapReadOnly(long length)
        {
            if (!owner.AllowMapping)
            {
                return null;
            }

            var mapping = inner.TryMapReadOnly(length);
            if (mapping is not null)
            {
                Interlocked.Increment(ref owner._mappingCount);
            }

            return mapping;
        }

        public void Dispose() => inner.Dispose();
    }
}
