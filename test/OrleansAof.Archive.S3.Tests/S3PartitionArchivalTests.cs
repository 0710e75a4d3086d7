using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Archive.S3.Tests;

/// <summary>The partition archival suite against a real S3-compatible server (s3rver).</summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class S3PartitionArchivalTests : PartitionArchivalSuite, IClassFixture<S3rverFixture>
{
    private readonly S3rverFixture _fixture;
    private readonly S3SegmentArchive _archive;

    public S3PartitionArchivalTests(S3rverFixture fixture)
    {
        _fixture = fixture;
        _archive = fixture.CreateArchive();
    }

    protected override ISegmentArchive Archive => _archive;

    // Every fetch is a GET from s3rver (about 100 ms under load); the file-system variant covers the race with more rounds.
    protected override int FetchHeavyReadRounds => Stress.Scale(20, 300);

    protected override void CorruptStoredObject(ArchiveObjectKey key)
    {
        var path = _fixture.StoredObjectPath("archive/" + key.RelativeKey);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _archive.Dispose();
        }

        base.Dispose(disposing);
    }
}
