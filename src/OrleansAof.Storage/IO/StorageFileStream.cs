namespace OrleansAof.Storage.IO;

/// <summary>
/// A <see cref="Stream"/> over an <see cref="IStorageFile"/> (positional reads and writes at a moving position), so that
/// stream-based code (compression, an SDK's upload) reaches files through <see cref="IFileSystem"/> and its fault
/// injection. Reads and writes complete synchronously; <see cref="Flush()"/> hands nothing to the disk (the caller flushes
/// the file when it needs durability). Disposing the stream disposes the file.
/// </summary>
internal sealed class StorageFileStream(IStorageFile file, bool canWrite) : Stream
{
    private long _position;

    public IStorageFile File { get; } = file;

    public override bool CanRead => !canWrite;

    public override bool CanSeek => true;

    public override bool CanWrite => canWrite;

    public override long Length => File.Length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = File.Read(_position, buffer);
        _position += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        File.Write(_position, buffer);
        _position += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => File.Length + offset,
        };
        return _position;
    }

    public override void SetLength(long value) => File.SetLength(value);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            File.Dispose();
        }

        base.Dispose(disposing);
    }
}
