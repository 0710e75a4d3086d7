namespace OrleansAof.Storage.Archive;

/// <summary>An open blob: its facts and a stream of its bytes. Disposing it releases the stream (and the connection or file).</summary>
/// <param name="info">The blob's facts.</param>
/// <param name="content">Its bytes, read once from the start.</param>
public sealed class ArchiveBlobContent(ArchiveBlobInfo info, Stream content) : IAsyncDisposable
{
    /// <summary>The blob's facts, as the store reported them when it was opened.</summary>
    public ArchiveBlobInfo Info { get; } = info;

    /// <summary>The blob's bytes. A read error of the store is thrown typed (see <see cref="IArchiveBlobStorage"/>).</summary>
    public Stream Content { get; } = content;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}
