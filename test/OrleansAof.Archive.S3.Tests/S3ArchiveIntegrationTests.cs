using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Amazon.S3.Model;
using FluentAssertions;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Archive.S3.Tests;

/// <summary>What only the S3 archive does, against a real s3rver: key layout, metadata, compression, damage on the server and the compatibility switch.</summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed partial class S3ArchiveIntegrationTests(S3rverFixture fixture) : ArchiveTestBase, IClassFixture<S3rverFixture>
{
    private const int FiveMiB = 5 * 1024 * 1024;
    private S3SegmentArchive? _archive;

    protected override ISegmentArchive Archive => _archive ??= fixture.CreateArchive();

    [Theory]
    [InlineData("archive", 3)]
    [InlineData("archive", LargeObjectSize)]
    [InlineData("", 1000)]
    public async Task Put_Uncompressed_ServerHoldsTheSegmentFileByteForByteUnderTheDocumentedKey(string prefix, int size)
    {
        using var archive = fixture.CreateArchive(o => o.Prefix = prefix);
        var (path, bytes, facts) = CreateSegmentFile("layout", size, seed: 1);
        var key = Key("p0", 42);

        await archive.PutAsync(key, path, facts, None);

        var objectKey = prefix.Length == 0 ? $"{Log}/p0/00000000000000000042.aofseg" : $"{prefix}/{Log}/p0/00000000000000000042.aofseg";
        archive.ObjectKeyOf(key).Should().Be(objectKey);
        File.ReadAllBytes(fixture.StoredObjectPath(objectKey)).AsSpan().SequenceEqual(bytes).Should().BeTrue("the stored object must be the segment file");
        using var client = fixture.CreateClient();
        var head = await client.GetObjectMetadataAsync(S3rverFixture.Bucket, objectKey);
        head.ContentLength.Should().Be(size);
        head.Metadata["aof-original-size"].Should().Be(size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        head.Metadata["aof-original-crc32c"].Should().Be(facts.Checksum.ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
        head.Metadata["aof-stored-size"].Should().Be(size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        head.Metadata["aof-compression"].Should().Be("none");
    }

    [Fact]
    public async Task Put_ZstdWithCompressibleData_StoresFewerBytesAndDownloadsIdenticalBytes()
    {
        using var archive = fixture.CreateArchive(o => o.Compression = S3ArchiveCompression.Zstd);
        var (path, bytes, facts) = CreateSegmentFile("compressible", 2 * 1024 * 1024, seed: 2, compressible: true);
        var key = Key("p0", 1);

        var info = await archive.PutAsync(key, path, facts, None);

        info.Compression.Should().Be(ArchiveCompression.Zstd);
        info.Original.Should().Be(facts);
        info.StoredSize.Should().BeLessThan(facts.Size / 4);
        new FileInfo(fixture.StoredObjectPath(archive.ObjectKeyOf(key))).Length.Should().Be(info.StoredSize);
        var destination = Scratch.Combine("compressible.download");
        await archive.DownloadAsync(key, destination, None);
        File.ReadAllBytes(destination).Should().Equal(bytes);
    }

    [Theory]
    [InlineData(S3ArchiveCompression.None)]
    [InlineData(S3ArchiveCompression.Zstd)]
    public async Task Download_DamagedObjectWhoseETagWasUpdatedToo_IsCaughtByTheRecordedChecksum(S3ArchiveCompression compression)
    {
        using var archive = fixture.CreateArchive(o => o.Compression = compression);
        var (path, _, facts) = CreateSegmentFile("rot", 300_000, seed: 3);
        var key = Key("p0", 2);
        await archive.PutAsync(key, path, facts, None);
        var stored = fixture.StoredObjectPath(archive.ObjectKeyOf(key));
        FlipByte(stored);
        RewriteStoredMd5(stored, File.ReadAllBytes(stored));
        var destination = Scratch.Combine("rot.download");

        var download = () => archive.DownloadAsync(key, destination, None);

        (await download.Should().ThrowAsync<ArchiveIntegrityException>()).Which.ObjectKey.Should().Be(key.RelativeKey);
        File.Exists(destination).Should().BeFalse();
    }

    [Fact]
    public async Task Download_TruncatedObject_ThrowsIntegrityAndWritesNothing()
    {
        using var archive = fixture.CreateArchive();
        var (path, _, facts) = CreateSegmentFile("short", 100_000, seed: 4);
        var key = Key("p0", 3);
        await archive.PutAsync(key, path, facts, None);
        var stored = fixture.StoredObjectPath(archive.ObjectKeyOf(key));
        var shortened = File.ReadAllBytes(stored)[..99_000];
        File.WriteAllBytes(stored, shortened);
        RewriteStoredMd5(stored, shortened);
        var destination = Scratch.Combine("short.download");

        var download = () => archive.DownloadAsync(key, destination, None);
        var getInfo = () => archive.GetInfoAsync(key, None);

        (await download.Should().ThrowAsync<ArchiveIntegrityException>()).Which.Message.Should().Contain("99000");
        File.Exists(destination).Should().BeFalse();
        await getInfo.Should().ThrowAsync<ArchiveIntegrityException>();

        await archive.PutAsync(key, path, facts, None); // a damaged object does not count as archived: the put replaces it
        (await archive.GetInfoAsync(key, None))!.StoredSize.Should().Be(100_000);
    }

    [Fact]
    public async Task ObjectWithoutArchiveMetadata_IsAnIntegrityFailureForGetInfoAndSkippedByList()
    {
        using var archive = fixture.CreateArchive();
        var (path, _, facts) = CreateSegmentFile("ours", 10, seed: 5);
        var ours = await archive.PutAsync(Key("p0", 1), path, facts, None);
        var foreign = Key("p0", 2);
        using (var client = fixture.CreateClient())
        {
            await client.PutObjectAsync(new PutObjectRequest { BucketName = S3rverFixture.Bucket, Key = archive.ObjectKeyOf(foreign), ContentBody = "not a segment", UseChunkEncoding = false });
        }

        var getInfo = () => archive.GetInfoAsync(foreign, None);

        (await getInfo.Should().ThrowAsync<ArchiveIntegrityException>()).Which.Message.Should().Contain("aof-format");
        (await ListAllAsync("p0")).Should().Equal(ours);
    }

    [Fact]
    public async Task CompatibilityModeOn_FiveMiBObjectRoundTripsExactlyWithoutChunkedRequests()
    {
        var recorder = new RecordingHttpClientFactory();
        var options = fixture.Options(o => o.MultipartThresholdBytes = 6 * 1024 * 1024);
        var config = S3ArchiveClientFactory.CreateConfig(options);
        config.HttpClientFactory = recorder;
        using var client = S3ArchiveClientFactory.CreateClient(options, config);
        using var archive = new S3SegmentArchive(options, client);
        var (path, bytes, facts) = CreateSegmentFile("five", FiveMiB, seed: 6);
        var (bigPath, bigBytes, bigFacts) = CreateSegmentFile("big", LargeObjectSize, seed: 7);

        var info = await archive.PutAsync(Key("p0", 5), path, facts, None);
        await archive.PutAsync(Key("p0", 6), bigPath, bigFacts, None);

        info.StoredSize.Should().Be(FiveMiB);
        File.ReadAllBytes(fixture.StoredObjectPath(archive.ObjectKeyOf(Key("p0", 5)))).AsSpan().SequenceEqual(bytes).Should().BeTrue();
        File.ReadAllBytes(fixture.StoredObjectPath(archive.ObjectKeyOf(Key("p0", 6)))).AsSpan().SequenceEqual(bigBytes).Should().BeTrue();
        var destination = Scratch.Combine("five.download");
        await archive.DownloadAsync(Key("p0", 5), destination, None);
        File.ReadAllBytes(destination).Should().Equal(bytes);

        var requests = recorder.Requests;
        var uploads = requests.Where(r => r.Method == "PUT").ToList();
        uploads.Should().HaveCount(3, "one PUT for the 5 MiB object and two parts for the larger one: " + string.Join(Environment.NewLine, requests));
        uploads.Should().OnlyContain(r => r.Headers.ContainsKey("Content-MD5"), "every upload carries Content-MD5");
        requests.Should().NotContain(r => r.Headers.ContainsKey("Content-Encoding") && r.Headers["Content-Encoding"].Contains("aws-chunked"));
        requests.Should().NotContain(r => r.Headers.ContainsKey("x-amz-decoded-content-length") || r.Headers.ContainsKey("x-amz-trailer"));
    }

    [Fact]
    public async Task CompatibilityModeOff_NeverStoresOrReturnsWrongBytes()
    {
        using var archive = fixture.CreateArchive(o =>
        {
            o.CompatibilityMode = false;
            o.MultipartThresholdBytes = 6 * 1024 * 1024;
        });
        var (path, bytes, facts) = CreateSegmentFile("off", FiveMiB, seed: 8);
        var key = Key("p0", 8);

        // Whether a store accepts the SDK's default (aws-chunked) uploads is the store's business; the archive must either
        // store the exact bytes or refuse with an integrity error and leave no object behind.
        Exception? error = null;
        try
        {
            await archive.PutAsync(key, path, facts, None);
        }
        catch (ArchiveIntegrityException e)
        {
            error = e;
        }

        if (error is null)
        {
            var destination = Scratch.Combine("off.download");
            await archive.DownloadAsync(key, destination, None);
            File.ReadAllBytes(destination).Should().Equal(bytes);
        }
        else
        {
            error.Message.Should().Contain("CompatibilityMode");
            (await archive.GetInfoAsync(key, None)).Should().BeNull("an object that failed its check is removed");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _archive?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Makes s3rver's ETag (the MD5 it keeps beside the object) match damaged bytes, as a store whose ETag is not the body's MD5 would.</summary>
#pragma warning disable CA5351 // s3rver's ETag is an MD5; this only mimics it.
    private static void RewriteStoredMd5(string storedObjectPath, byte[] bytes) =>
        File.WriteAllText(storedObjectPath + ".md5", Convert.ToHexStringLower(MD5.HashData(bytes)));
#pragma warning restore CA5351

    [GeneratedRegex("^bytes=[0-9]+-[0-9]+$")]
    private static partial Regex ExplicitRange();
}
