using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Archive.S3.Tests;

/// <summary>The shared archive contract against s3rver, uncompressed (objects are the segment files byte for byte).</summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class S3ArchiveConformanceTests(S3rverFixture fixture) : SegmentArchiveConformance, IClassFixture<S3rverFixture>
{
    private readonly S3SegmentArchive _archive = fixture.CreateArchive();

    protected override ISegmentArchive Archive => _archive;

    protected override void CorruptStoredObject(ArchiveObjectKey key) => FlipByte(fixture.StoredObjectPath(_archive.ObjectKeyOf(key)));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _archive.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>The shared archive contract against s3rver with zstd compression.</summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class S3ZstdArchiveConformanceTests(S3rverFixture fixture) : SegmentArchiveConformance, IClassFixture<S3rverFixture>
{
    private readonly S3SegmentArchive _archive = fixture.CreateArchive(o => o.Compression = S3ArchiveCompression.Zstd);

    protected override ISegmentArchive Archive => _archive;

    protected override string ExpectedCompression => ArchiveCompression.Zstd;

    protected override void CorruptStoredObject(ArchiveObjectKey key) => FlipByte(fixture.StoredObjectPath(_archive.ObjectKeyOf(key)));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _archive.Dispose();
        }

        base.Dispose(disposing);
    }
}
