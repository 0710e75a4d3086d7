using System.Buffers.Binary;
using FluentAssertions;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Archive.S3.Tests;

/// <summary>
/// The default mode (<see cref="S3ArchiveOptions.CompatibilityMode"/> off) against a real s3rver: a single PUT carries
/// the recorded CRC-32C in <c>x-amz-checksum-crc32c</c>, unchunked and without Content-MD5, and the file is checked as it
/// is sent. s3rver accepts the header and does not check it, so the archive's own check is what these tests see.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class S3Crc32CUploadTests(S3rverFixture fixture) : ArchiveTestBase, IClassFixture<S3rverFixture>
{
    private const int Size = (5 * 1024 * 1024) + 321;
    private readonly RecordingHttpClientFactory _recorder = new();
    private Amazon.S3.IAmazonS3? _client;
    private S3SegmentArchive? _archive;

    protected override ISegmentArchive Archive => DefaultMode;

    private S3SegmentArchive DefaultMode
    {
        get
        {
            if (_archive is null)
            {
                var options = fixture.Options(o =>
                {
                    o.CompatibilityMode = false;
                    o.MultipartThresholdBytes = 8 * 1024 * 1024;
                });
                var config = S3ArchiveClientFactory.CreateConfig(options);
                config.HttpClientFactory = _recorder;
                _client = S3ArchiveClientFactory.CreateClient(options, config);
                _archive = new S3SegmentArchive(options, _client);
            }

            return _archive;
        }
    }

    [Fact]
    public async Task SinglePut_CarriesTheRecordedCrc32CInAHeader_WithoutContentMd5OrChunking_AndStoresTheExactBytes()
    {
        var (path, bytes, facts) = CreateSegmentFile("header", Size, seed: 41);
        var key = Key("p0", 1);

        await Archive.PutAsync(key, path, facts, None);

        var uploads = _recorder.Requests.Where(r => r.Method == "PUT" && r.PathAndQuery.Contains(".aofseg", StringComparison.Ordinal)).ToList();
        uploads.Should().ContainSingle("one PUT below the multipart threshold: " + string.Join(Environment.NewLine, _recorder.Requests));
        var put = uploads[0];
        put.Headers.Should().ContainKey("x-amz-checksum-crc32c").WhoseValue.Should().Be(BigEndianBase64(facts.Checksum));
        put.Headers.Should().NotContainKey("Content-MD5");
        put.Headers.Should().NotContainKey("x-amz-trailer");
        put.Headers.Should().NotContainKey("x-amz-decoded-content-length");
        (put.Headers.TryGetValue("Content-Encoding", out var encoding) ? encoding : "").Should().NotContain("aws-chunked");
        File.ReadAllBytes(fixture.StoredObjectPath(DefaultMode.ObjectKeyOf(key))).AsSpan().SequenceEqual(bytes).Should().BeTrue("the stored object is the segment file");
        var destination = Scratch.Combine("header.download");
        await Archive.DownloadAsync(key, destination, None);
        File.ReadAllBytes(destination).Should().Equal(bytes);
    }

    [Fact]
    public async Task Zstd_SinglePutCarriesTheCrc32COfTheCompressedBytes_AndDownloadsTheOriginal()
    {
        var options = fixture.Options(o =>
        {
            o.CompatibilityMode = false;
            o.MultipartThresholdBytes = 8 * 1024 * 1024;
            o.Compression = S3ArchiveCompression.Zstd;
            o.StagingDirectory = Scratch.Combine("staging");
        });
        Directory.CreateDirectory(options.StagingDirectory!);
        var config = S3ArchiveClientFactory.CreateConfig(options);
        config.HttpClientFactory = _recorder;
        using var client = S3ArchiveClientFactory.CreateClient(options, config);
        using var archive = new S3SegmentArchive(options, client);
        var (path, bytes, facts) = CreateSegmentFile("zstd", Size, seed: 44, compressible: true);
        var key = Key("p0", 4);

        var info = await archive.PutAsync(key, path, facts, None);

        info.Compression.Should().Be(ArchiveCompression.Zstd);
        info.StoredSize.Should().BeLessThan(facts.Size);
        var put = _recorder.Requests.Single(r => r.Method == "PUT" && r.PathAndQuery.Contains(".aofseg", StringComparison.Ordinal));
        put.Headers.Should().ContainKey("x-amz-checksum-crc32c").WhoseValue.Should().Be(BigEndianBase64(info.StoredChecksum));
        put.Headers.Should().NotContainKey("Content-MD5");
        var destination = Scratch.Combine("zstd.download");
        await archive.DownloadAsync(key, destination, None);
        File.ReadAllBytes(destination).Should().Equal(bytes);
    }

    [Fact]
    public async Task LocalFileWithOtherBytesThanItsFacts_ThrowsIntegrity_AndTheObjectTheStoreKeptIsRemoved()
    {
        var (path, _, facts) = CreateSegmentFile("damaged", Size, seed: 42);
        var key = Key("p0", 2);

        var put = () => Archive.PutAsync(key, path, facts with { Checksum = facts.Checksum ^ 0x100 }, None);

        var error = (await put.Should().ThrowAsync<ArchiveIntegrityException>()).Which;
        error.ObjectKey.Should().Be(key.RelativeKey);
        error.Message.Should().Contain($"{facts.Checksum:x8}").And.Contain("the object was removed");
        _recorder.Requests.Should().Contain(r => r.Method == "PUT" && r.PathAndQuery.Contains(".aofseg", StringComparison.Ordinal), "the bytes were sent; s3rver does not check the CRC-32C header");
        (await Archive.GetInfoAsync(key, None)).Should().BeNull();
        File.Exists(fixture.StoredObjectPath(DefaultMode.ObjectKeyOf(key))).Should().BeFalse();
        (await ListAllAsync("p0")).Should().BeEmpty();
    }

    [Fact]
    public async Task LocalFileOfAnotherLength_ThrowsIntegrityBeforeAnythingIsSent()
    {
        var (path, _, facts) = CreateSegmentFile("length", Size, seed: 43);
        var key = Key("p0", 3);

        var put = () => Archive.PutAsync(key, path, facts with { Size = facts.Size - 1 }, None);

        (await put.Should().ThrowAsync<ArchiveIntegrityException>()).Which.Message.Should().Contain("nothing was stored");
        _recorder.Requests.Should().NotContain(r => r.Method == "PUT" && r.PathAndQuery.Contains(".aofseg", StringComparison.Ordinal));
        (await Archive.GetInfoAsync(key, None)).Should().BeNull();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _archive?.Dispose();
            _client?.Dispose();
        }

        base.Dispose(disposing);
    }

    private static string BigEndianBase64(uint crc)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, crc);
        return Convert.ToBase64String(bytes);
    }
}
