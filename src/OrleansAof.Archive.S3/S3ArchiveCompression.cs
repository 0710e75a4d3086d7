namespace OrleansAof.Archive.S3;

/// <summary>How <see cref="S3SegmentArchive"/> stores objects.</summary>
public enum S3ArchiveCompression
{
    /// <summary>Objects are the segment files byte for byte.</summary>
    None,

    /// <summary>Objects are zstd frames of the segment files (smaller; reads download the whole object).</summary>
    Zstd,
}
