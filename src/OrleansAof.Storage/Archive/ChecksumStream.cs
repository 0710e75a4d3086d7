using System.Security.Cryptography;
using OrleansAof.Storage.Format;

namespace OrleansAof.Storage.Archive;

/// <summary>
/// A pass-through stream that counts the bytes read from or written to <see cref="Inner"/> and computes their CRC-32C
/// (and, when asked, their MD5 for Content-MD5 headers).
/// </summary>
internal sealed class ChecksumStream(Stream inner, bool computeMd5 = false) : Stream
{
    private readonly IncrementalHash? _md5 = computeMd5 ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;

    public Stream Inner { get; } = inner;

    public long ByteCount { get; private set; }

    public uint Checksum { get; private set; }

    public override bool CanRead => Inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => Inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => ByteCount; set => throw new NotSupportedException(); }

    /// <summary>The MD5 of the bytes so far (ends the MD5 computation).</summary>
    public byte[] GetMd5() => _md5?.GetHashAndReset() ?? throw new InvalidOperationException("MD5 was not requested.");

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = Inner.Read(buffer);
        Update(buffer[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await Inner.ReadAsync(buffer, cancellationToken);
        Update(buffer.Span[..read]);
        return read;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Update(buffer);
        Inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Update(buffer.Span);
        return Inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() => Inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => Inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _md5?.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Update(ReadOnlySpan<byte> bytes)
    {
        Checksum = Crc32C.Append(Checksum, bytes);
        _md5?.AppendData(bytes);
        ByteCount += bytes.Length;
    }
}
