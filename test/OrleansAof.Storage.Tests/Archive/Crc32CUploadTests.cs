using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Archive;

/// <summary>
/// <see cref="BlobArchiveSettings.StoreChecksCrc32C"/>: an uncompressed put hands the recorded CRC-32C to the store and
/// checks the file as it is sent, over a folder store that checks the CRC-32C it is given, as S3 does.
/// </summary>
public sealed class Crc32CUploadTests : ArchiveTestBase
{
    private readonly TempDirectory _root = new("crc-upload");
    private readonly CheckingStore _store;

    public Crc32CUploadTests()
    {
        _store = new CheckingStore(new FileSystemBlobStorage(_root.Path, createRoot: true, PhysicalFileSystem.Instance, TimeProvider.System, NullLogger.Instance));
        CheckingArchive = new BlobSegmentArchive(_store, new BlobArchiveSettings { StoreChecksCrc32C = true }, PhysicalFileSystem.Instance, null);
    }

    protected override ISegmentArchive Archive => CheckingArchive;

    private BlobSegmentArchive CheckingArchive { get; }

    [Fact]
    public async Task Put_HandsTheRecordedChecksumToTheStoreAndNoMd5()
    {
        var (path, bytes, facts) = CreateSegmentFile("given", 300_000, seed: 31);
        var key = Key("p0", 1);

        var info = await Archive.PutAsync(key, path, facts, None);

        _store.Uploads.Should().Equal((key.RelativeKey, (uint?)facts.Checksum, false));
        info.Original.Should().Be(facts);
        var destination = Scratch.Combine("given.download");
        await Archive.DownloadAsync(key, destination, None);
        File.ReadAllBytes(destination).Should().Equal(bytes);
    }

    [Fact]
    public async Task Put_LocalFileDiffersAndTheStoreRefusesIt_ThrowsIntegrityAndKeepsTheObjectThatWasThere()
    {
        var (oldPath, _, oldFacts) = CreateSegmentFile("old", 100_000, seed: 32);
        var key = Key("p0", 2);
        var before = await Archive.PutAsync(key, oldPath, oldFacts, None);
        var (path, bytes, recorded) = CreateSegmentFile("refused", 100_000, seed: 33);
        bytes[50_000] ^= 0x01; // damaged on the local disk after its facts were recorded
        File.WriteAllBytes(path, bytes);

        var put = () => Archive.PutAsync(key, path, recorded, None);

        var error = (await put.Should().ThrowAsync<ArchiveIntegrityException>()).Which;
        error.ObjectKey.Should().Be(key.RelativeKey);
        error.Message.Should().Contain("nothing was stored");
        _store.Refusals.Should().Be(1, "the store was given the recorded checksum and refused the body");
        (await Archive.GetInfoAsync(key, None)).Should().Be(before, "a refused put leaves the object that was there");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _root.Dispose();
        }
    }

    /// <summary>Stores through a folder store, but first checks the body against the CRC-32C it was given and refuses a mismatch, as S3 does with <c>x-amz-checksum-crc32c</c>.</summary>
    private sealed class CheckingStore(IArchiveBlobStorage inner) : IArchiveBlobStorage
    {
        private int _refusals;

        public List<(string Key, uint? Crc32C, bool HasMd5)> Uploads { get; } = [];

        public int Refusals => _refusals;

        public string Description => inner.Description;

        public async Task PutAsync(string key, ArchiveBlobUpload upload, CancellationToken cancellationToken)
        {
            lock (Uploads)
            {
                Uploads.Add((key, upload.Crc32C, upload.ContentMd5 is not null));
            }

            var body = new MemoryStream();
            await upload.Content.CopyToAsync(body, cancellationToken);
            if (upload.Crc32C is { } given && Crc32C.Compute(body.ToArray()) != given)
            {
                Interlocked.Increment(ref _refusals);
                throw new ArchiveUnavailableException(ArchiveUnavailableReason.Other, Description, "BadDigest: the CRC-32C you specified did not match the calculated checksum", isTransient: false);
            }

            body.Position = 0;
            await inner.PutAsync(key, upload with { Content = body }, cancellationToken);
        }

        public Task<ArchiveBlobInfo?> GetInfoAsync(string key, CancellationToken cancellationToken) => inner.GetInfoAsync(key, cancellationToken);

        public Task<ArchiveBlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken) => inner.OpenReadAsync(key, cancellationToken);

        public IAsyncEnumerable<string> ListAsync(string folder, CancellationToken cancellationToken) => inner.ListAsync(folder, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);
    }
}
