namespace OrleansAof.SiloHost;

/// <summary>Where sealed segments are archived.</summary>
public enum ArchiveProvider
{
    /// <summary>No archive: sealed segments stay on the silo's disk.</summary>
    None,

    /// <summary>A folder (<see cref="SiloHostSettings.ArchivePath"/>): the embedded default, or a mounted volume.</summary>
    FileSystem,

    /// <summary>Amazon S3 or an S3-compatible store (the <c>S3*</c> settings).</summary>
    S3,
}
