namespace OrleansAof.Storage.Archive;

/// <summary>
/// Told about each piece of a streaming download right after it was written to the destination file (handed to the OS):
/// the original (decompressed) bytes from <paramref name="offset"/>, in order, with no gap. A reader of the file may read
/// them from then on. They have not passed the whole object's check yet: that comes when the download completes.
/// </summary>
/// <param name="offset">The file offset of the first byte.</param>
/// <param name="bytes">The bytes just written; valid only during the call.</param>
internal delegate void DownloadedBytes(long offset, ReadOnlySpan<byte> bytes);
