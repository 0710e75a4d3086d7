using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Archive;

/// <summary>
/// The archive protocol itself (<see cref="BlobSegmentArchive"/>), over the folder's blob store with zstd on: its local
/// files (the zstd staging copy, the download) go through the engine's <see cref="IFileSystem"/>, so injected faults
/// reach them.
/// </summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public sealed class BlobSegmentArchiveTests : ArchiveTestBase
{
    private readonly TempDirectory _root = new("blob-archive");
    private readonly TempDirectory _staging = new("blob-staging");
    private readonly FaultInjectingFileSystem _fileSystem = new();

    public BlobSegmentArchiveTests()
    {
        var storage = new FileSystemBlobStorage(_root.Path, createRoot: true, _fileSystem, TimeProvider.System, NullLogger.Instance);
        ZstdArchive = new BlobSegmentArchive(storage, new BlobArchiveSettings { Compression = ArchiveCompression.Zstd, StagingDirectory = _staging.Path, ReadBackAfterPut = true }, _fileSystem, null);
    }

    private BlobSegmentArchive ZstdArchive { get; }

    protected override ISegmentArchive Archive => ZstdArchive;

    [Fact]
    public async Task Put_Zstd_StoresFewerBytesAndDownloadsTheOriginalBytes_LeavingNoStagingFile()
    {
        var (path, bytes, facts) = CreateSegmentFile("zstd", 200_000, seed: 21, compressible: true);
        var key = Key("p0", 1);

        var info = await Archive.PutAsync(key, path, facts, None);

        info.Compression.Should().Be(ArchiveCompression.Zstd);
        info.Original.Should().Be(facts);
        info.StoredSize.Should().BeLessThan(bytes.Length / 2);
        new FileInfo(Path.Combine(_root.Path, Log, "p0", key.FileName)).Length.Should().Be(info.StoredSize);
        Directory.GetFiles(_staging.Path).Should().BeEmpty("the staging copy is removed after the put");
        var destination = Scratch.Combine("zstd.download");
        await Archive.DownloadAsync(key, destination, None);
        File.ReadAllBytes(destination).Should().Equal(bytes);
    }

    [Fact]
    public async Task Put_StagingDiskFull_FailsWithTheInjectedErrorAndLeavesNoStagingFileAndNoObject()
    {
        var (path, _, facts) = CreateSegmentFile("staging-full", 200_000, seed: 22);
        var key = Key("p0", 2);
        _fileSystem.WriteFilter = p => p.StartsWith(_staging.Path, StringComparison.Ordinal);
        _fileSystem.DiskFullAtByte(_fileSystem.BytesWritten + 1_000);

        var put = () => Archive.PutAsync(key, path, facts, None);

        (await put.Should().ThrowAsync<IOException>()).Which.Message.Should().Contain("no space left");
        Directory.GetFiles(_staging.Path).Should().BeEmpty("a failed staging copy is removed");
        (await Archive.GetInfoAsync(key, None)).Should().BeNull();
        (await ListAllAsync("p0")).Should().BeEmpty();
    }

    [Fact]
    public async Task Download_DestinationDiskFull_FailsWithTheInjectedErrorAndLeavesNoFile()
    {
        var (path, _, facts) = CreateSegmentFile("download-full", 200_000, seed: 23, compressible: true);
        var key = Key("p0", 3);
        await Archive.PutAsync(key, path, facts, None);
        var downloads = Scratch.Combine("downloads");
        var destination = Path.Combine(downloads, "full.download");
        _fileSystem.WriteFilter = p => p.StartsWith(downloads, StringComparison.Ordinal);
        _fileSystem.DiskFullAtByte(_fileSystem.BytesWritten + 1_000);

        var download = () => Archive.DownloadAsync(key, destination, None);

        (await download.Should().ThrowAsync<IOException>()).Which.Message.Should().Contain("no space left");
        File.Exists(destination).Should().BeFalse("a partial download is deleted");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _root.Dispose();
            _staging.Dispose();
        }
    }
}
