using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// Stands in for an active segment file that is gone (see <see cref="Reconciliation.LostActiveBaseId"/>): the partition is
/// faulted, so nothing writes to it; every operation fails.
/// </summary>
internal sealed class UnavailableFile(string path) : IStorageFile
{
    public string Path => path;

    public long Length => 0;

    public void SetLength(long length) => throw Gone();

    public int Read(long offset, Span<byte> buffer) => throw Gone();

    public void Write(long offset, ReadOnlySpan<byte> buffer) => throw Gone();

    public void Flush(bool dataOnly) => throw Gone();

    public void Dispose()
    {
    }

    private FileNotFoundException Gone() => new($"The segment file '{path}' is missing.", path);
}
