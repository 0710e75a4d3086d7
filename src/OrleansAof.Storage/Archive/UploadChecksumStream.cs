using OrleansAof.Storage.Format;

namespace OrleansAof.Storage.Archive;

/// <summary>
/// The body of a put that is checked while it is sent: a read-only, seekable pass-through that computes the CRC-32C of
/// the bytes read in order from the start. A client that reads the body more than once (the S3 SDK hashes a body for its
/// signature, rewinds it and sends it) rewinds to the start, which starts the count afresh, so the figures describe the
/// last complete pass: the bytes that went out. A seek anywhere else voids them until the next rewind.
/// </summary>
internal sealed class UploadChecksumStream(Stream inner) : Stream
{
    private bool _inOrder = true;

    /// <summary>Bytes read in order since the last rewind to the start.</summary>
    public long ByteCount { get; private set; }

    /// <summary>Their CRC-32C.</summary>
    public uint Checksum { get; private set; }

    /// <summary>Whether the last pass read exactly <paramref name="facts"/>: all its bytes, in order, with its checksum.</summary>
    public bool Matches(SegmentFileFacts facts) => _inOrder && ByteCount == facts.Size && Checksum == facts.Checksum;

    /// <summary>Whether the last pass read in order at least as many bytes as <paramref name="facts"/> holds, with another checksum or more bytes.</summary>
    public bool ProvedDifferent(SegmentFileFacts facts) => _inOrder && ByteCount >= facts.Size && !Matches(facts);

    public override bool CanRead => true;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Update(buffer[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Update(buffer.Span[..read]);
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var position = inner.Seek(offset, origin);
        if (position == 0)
        {
            (_inOrder, ByteCount, Checksum) = (true, 0, 0);
        }
        else if (position != ByteCount)
        {
            _inOrder = false;
        }

        return position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Update(ReadOnlySpan<byte> bytes)
    {
        Checksum = Crc32C.Append(Checksum, bytes);
        ByteCount += bytes.Length;
    }
}
