namespace OrleansAof.Storage.Archive;

/// <summary>An object in the archive, with the facts recorded when it was stored.</summary>
/// <param name="Key">Its key.</param>
/// <param name="Original">Size and checksum of the original segment file.</param>
/// <param name="StoredSize">Bytes stored (differs from the original size when compressed).</param>
/// <param name="StoredChecksum">CRC-32C of the stored bytes.</param>
/// <param name="Compression">"none" or the codec name (for example "zstd").</param>
/// <param name="LastModified">When it was stored.</param>
public sealed record ArchivedObjectInfo(ArchiveObjectKey Key, SegmentFileFacts Original, long StoredSize, uint StoredChecksum, string Compression, DateTimeOffset LastModified)
{
    /// <summary>Whether the stored bytes are the original bytes.</summary>
    public bool IsUncompressed => Compression == ArchiveCompression.None;
}
