using Amazon.S3.Model;
using FluentAssertions;
using OrleansAof.Storage;
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

    /// <summary>
    /// An object left without the archive's metadata (an upload cut off when the store was killed) at a segment's key:
    /// eviction keeps the local file, the next archive step replaces the object, and nothing is lost. Before, every archive
    /// run failed on it for good and the partition stayed degraded.
    /// </summary>
    [Fact]
    public async Task ObjectWithoutMetadataAtASegmentsKey_EvictionKeepsTheFile_AndTheNextArchiveStepReplacesIt()
    {
        var options = Options(o => o.KeepLocalSegments = 1);
        await using var log = await OpenAsync(options);
        await AppendAsync(log, 200);
        await ArchiveAllAsync(log);
        var victim = log.GetInfo().Segments.First(s => s.Status == SegmentStatus.Archived);
        using (var client = _fixture.CreateClient())
        {
            await client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = S3rverFixture.Bucket,
                Key = _archive.ObjectKeyOf(new ArchiveObjectKey(LogName, "0", victim.FileName)),
                ContentBody = "cut off",
                UseChunkEncoding = false,
            });
        }

        var evicted = await log.EvictArchivedAsync();
        evicted.Select(e => e.BaseId).Should().NotContain(victim.BaseId);
        File.Exists(SegmentPath(options, victim)).Should().BeTrue("the only good copy stays");
        log.GetInfo().Segments.Single(s => s.BaseId == victim.BaseId).Status.Should().Be(SegmentStatus.Sealed);
        (await ArchiveAllAsync(log)).Should().Be(1);
        (await _archive.GetInfoAsync(new ArchiveObjectKey(LogName, "0", victim.FileName), CancellationToken.None))!.Original.Size.Should().Be(victim.SizeBytes);
        (await log.EvictArchivedAsync()).Select(e => e.BaseId).Should().Contain(victim.BaseId);
        await AssertAllRecordsAsync(log, 0, 200);
    }

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
