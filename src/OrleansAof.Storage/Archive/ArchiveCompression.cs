namespace OrleansAof.Storage.Archive;

/// <summary>Names of compression codecs recorded with archived objects.</summary>
public static class ArchiveCompression
{
    /// <summary>Stored as is.</summary>
    public const string None = "none";

    /// <summary>Zstandard.</summary>
    public const string Zstd = "zstd";
}
