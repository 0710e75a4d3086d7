namespace OrleansAof.TestInfrastructure.Clusters;

/// <summary>Where the silos of an <see cref="AofTestCluster"/> archive sealed segments.</summary>
public enum TestClusterArchive
{
    /// <summary>No archive.</summary>
    None,

    /// <summary>One file-system archive all silos share (<see cref="AofTestCluster.ArchiveRoot"/>, under the data root).</summary>
    FileSystem,

    /// <summary>An s3rver the fixture starts, with bucket <see cref="AofTestCluster.S3Bucket"/> (<see cref="AofTestCluster.S3Options"/>).</summary>
    S3,
}
