namespace OrleansAof.Storage.Archive;

/// <summary>Size and checksum of a segment file as it is on local disk.</summary>
/// <param name="Size">File length in bytes.</param>
/// <param name="Checksum">CRC-32C of the whole file.</param>
public readonly record struct SegmentFileFacts(long Size, uint Checksum);
