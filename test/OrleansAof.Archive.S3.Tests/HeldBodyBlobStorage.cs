using OrleansAof.Storage;
using OrleansAof.Storage.Archive;

namespace OrleansAof.Archive.S3.Tests;

/// <summary>
/// A blob store over a real one (s3rver) that controls the bodies it hands out: a body stops at <see cref="HoldAt"/>
/// until <see cref="Release"/>, can have the byte at <see cref="FlipAt"/> inverted, and can end or fail at
/// <see cref="CutAt"/> (a connection cut mid-body). The settings are taken when a body is opened.
/// </summary>
internal sealed class HeldBodyBlobStorage(IArchiveBlobStorage inner) : IArchiveBlobStorage
{
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _opens;

    public long? HoldAt { get; set; }

    public long? FlipAt { get; set; }

    public long? CutAt { get; set; }

    /// <summary>At <see cref="CutAt"/> the body fails as S3's body stream does when the connection breaks; otherwise it ends there.</summary>
    public bool CutWithError { get; set; }

    /// <summary>Bodies opened so far (downloads).</summary>
    public int Opens => Volatile.Read(ref _opens);

    /// <summary>Completes when a body has delivered exactly <see cref="HoldAt"/> bytes and waits for <see cref="Release"/>.</summary>
    public Task Held => _held.Task;

    public bool IsReleased => _released.Task.IsCompleted;

    public string Description => "held " + inner.Description;

    public void Release() => _released.TrySetResult();

    public Task PutAsync(string key, ArchiveBlobUpload upload, CancellationToken cancellationToken) => inner.PutAsync(key, upload, cancellationToken);

    public Task<ArchiveBlobInfo?> GetInfoAsync(string key, CancellationToken cancellationToken) => inner.GetInfoAsync(key, cancellationToken);

    public async Task<ArchiveBlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var blob = await inner.OpenReadAsync(key, cancellationToken);
        if (blob is null)
        {
            return null;
        }

        Interlocked.Increment(ref _opens);
        return new ArchiveBlobContent(blob.Info, new Body(this, blob, HoldAt, FlipAt, CutAt, CutWithError));
    }

    public IAsyncEnumerable<string> ListAsync(string folder, CancellationToken cancellationToken) => inner.ListAsync(folder, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    private sealed class Body(HeldBodyBlobStorage owner, ArchiveBlobContent blob, long? holdAt, long? flipAt, long? cutAt, bool cutWithError) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var limit = (long)buffer.Length;
            if (holdAt is { } hold && !owner.IsReleased)
            {
                if (_position >= hold)
                {
                    owner._held.TrySetResult();
                    await owner._released.Task.WaitAsync(cancellationToken);
                }
                else
                {
                    limit = Math.Min(limit, hold - _position);
                }
            }

            if (cutAt is { } cut)
            {
                if (_position >= cut)
                {
                    return cutWithError
                        ? throw new ArchiveUnavailableException(ArchiveUnavailableReason.Unreachable, owner.Description, "IOException: The response ended prematurely (test cut)", isTransient: true)
                        : 0;
                }

                limit = Math.Min(limit, cut - _position);
            }

            var n = await blob.Content.ReadAsync(buffer[..(int)limit], cancellationToken);
            if (flipAt is { } flip && flip >= _position && flip < _position + n)
            {
                buffer.Span[(int)(flip - _position)] ^= 0xFF;
            }

            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                blob.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            base.Dispose(disposing);
        }
    }
}
