namespace OrleansAof.Storage.Archive;

/// <summary>
/// An archive whose downloads can be read while they arrive (<see cref="BlobSegmentArchive"/> and the decorators over
/// it). The archived-segment cache uses it to serve records below the downloaded frontier before the download completes;
/// over any other <see cref="ISegmentArchive"/> it waits for the whole download.
/// </summary>
internal interface IStreamingSegmentArchive : ISegmentArchive
{
    /// <summary>
    /// <see cref="ISegmentArchive.DownloadAsync"/>, telling <paramref name="written"/> about each piece of the original
    /// bytes as soon as it is in the file. The file may be opened for reading while it is written. The checks at the
    /// end are the same: when they fail, the file is deleted and <see cref="ArchiveIntegrityException"/> is thrown, even
    /// though pieces of it were announced. A download that announced a piece is not retried as a whole by a decorator:
    /// its failure is the caller's to handle (a fresh download).
    /// </summary>
    Task DownloadAsync(ArchiveObjectKey key, string destinationPath, DownloadedBytes written, CancellationToken cancellationToken);
}
