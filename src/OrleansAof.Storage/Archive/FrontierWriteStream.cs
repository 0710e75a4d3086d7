using System.Buffers;

namespace OrleansAof.Storage.Archive;

/// <summary>
/// A write-only stream for a streaming download: gathers what it is given into pieces of <c>chunkBytes</c>, writes each
/// piece to <see cref="Inner"/> (the destination file) and then tells <c>written</c> about it, so a reader of the file
/// learns how far it may read (the downloaded frontier). The last, partial piece is written when the stream is flushed
/// or disposed but never announced: what the body's end holds is read once the whole object passed its checks (and an
/// object smaller than one piece is never read before them).
/// </summary>
internal sealed class FrontierWriteStream : Stream
{
    private readonly DownloadedBytes _written;
    private byte[]? _buffer;
    private int _buffered;
    private long _frontier;

    public FrontierWriteStream(Stream inner, DownloadedBytes written, int chunkBytes)
    {
        Inner = inner;
        _written = written;
        _buffer = ArrayPool<byte>.Shared.Rent(chunkBytes);
    }

    public Stream Inner { get; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _frontier + _buffered; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var chunk = _buffer ?? throw new ObjectDisposedException(nameof(FrontierWriteStream));
        while (buffer.Length > 0)
        {
            var n = Math.Min(buffer.Length, chunk.Length - _buffered);
            buffer[..n].CopyTo(chunk.AsSpan(_buffered));
            _buffered += n;
            buffer = buffer[n..];
            if (_buffered == chunk.Length)
            {
                WriteBuffered(announce: true);
            }
        }
    }

    // The file takes the bytes into the OS page cache: written synchronously, as BufferedStream over it did.
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
        WriteBuffered(announce: false);
        Inner.Flush();
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && _buffer is { } chunk)
        {
            try
            {
                WriteBuffered(announce: false);
            }
            finally
            {
                _buffer = null;
                ArrayPool<byte>.Shared.Return(chunk);
                Inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private void WriteBuffered(bool announce)
    {
        if (_buffered == 0 || _buffer is not { } chunk)
        {
            return;
        }

        Inner.Write(chunk, 0, _buffered);
        var offset = _frontier;
        _frontier += _buffered;
        var count = _buffered;
        _buffered = 0;
        if (announce)
        {
            _written(offset, chunk.AsSpan(0, count));
        }
    }
}
