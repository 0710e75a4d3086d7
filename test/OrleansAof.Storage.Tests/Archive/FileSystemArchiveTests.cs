using System.Text;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Archive;

/// <summary>The shared archive contract, against the file-system archive.</summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class FileSystemArchiveConformanceTests : SegmentArchiveConformance
{
    private readonly TempDirectory _root = new("fs-archive");

    public FileSystemArchiveConformanceTests()
    {
        FileSystemArchive = new FileSystemArchive(new FileSystemArchiveOptions { RootPath = _root.Path });
    }

    private FileSystemArchive FileSystemArchive { get; }

    protected override ISegmentArchive Archive => FileSystemArchive;

    protected override void CorruptStoredObject(ArchiveObjectKey key) =>
        FlipByte(Path.Combine(_root.Path, key.Log, key.Partition, key.FileName));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _root.Dispose();
        }
    }
}

/// <summary>What only the file-system archive does: its layout, its sidecar, interrupted puts and injected faults.</summary>
public sealed class FileSystemArchiveTests : ArchiveTestBase
{
    private readonly TempDirectory _root = new("fs-archive");
    private readonly FaultInjectingFileSystem _fileSystem = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

    public FileSystemArchiveTests()
    {
        FileSystemArchive = new FileSystemArchive(new FileSystemArchiveOptions { RootPath = _root.Path }, _fileSystem, _time, null);
    }

    private FileSystemArchive FileSystemArchive { get; }

    protected override ISegmentArchive Archive => FileSystemArchive;

    private string PartitionDirectory(string partition) => Path.Combine(_root.Path, Log, partition);

    [Theory]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    [InlineData("", "FileSystemArchiveOptions.RootPath is required.")]
    [InlineData("  ", "FileSystemArchiveOptions.RootPath is required.")]
    [InlineData("relative/archive", "FileSystemArchiveOptions.RootPath must be an absolute path; it is 'relative/archive'.")]
    public void Constructor_InvalidRootPath_ThrowsNamingTheOption(string rootPath, string message)
    {
        var create = () => new FileSystemArchive(new FileSystemArchiveOptions { RootPath = rootPath });

        var error = create.Should().Throw<InvalidLogOptionsException>().Which;
        error.OptionName.Should().Be("FileSystemArchiveOptions.RootPath");
        error.Message.Should().Be(message);
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task Put_StoresSegmentAtDocumentedPathWithChecksummedSidecar()
    {
        var (path, bytes, facts) = CreateSegmentFile("layout", 4_321, seed: 1);
        var key = Key("p0", 5);

        var info = await Archive.PutAsync(key, path, facts, None);

        var dataPath = Path.Combine(_root.Path, Log, "p0", "00000000000000000005.aofseg");
        File.ReadAllBytes(dataPath).Should().Equal(bytes);
        info.Should().Be(new ArchivedObjectInfo(key, facts, 4_321, facts.Checksum, ArchiveCompression.None, _time.GetUtcNow()));
        var sidecar = File.ReadAllText(dataPath + FileSystemArchive.MetadataSuffix, Encoding.UTF8);
        sidecar.Should().StartWith($"aof-archive-object: 1\nkey: {Log}/p0/00000000000000000005.aofseg\noriginal-size: 4321\noriginal-crc32c: {facts.Checksum:x8}\n");
        sidecar.Should().Contain("compression: none\nstored-at: 2026-01-02T03:04:05.0000000+00:00\ncrc32c: ");
        Directory.GetFiles(PartitionDirectory("p0")).Select(Path.GetFileName).Should().BeEquivalentTo(
            ["00000000000000000005.aofseg", "00000000000000000005.aofseg.aofmeta"], "no temporary file may stay behind");
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task DamagedSidecar_IsReportedAsIntegrityFailureAndAPutRepairsIt()
    {
        var (path, bytes, facts) = CreateSegmentFile("sidecar", 1_000, seed: 2);
        var key = Key("p0", 6);
        await Archive.PutAsync(key, path, facts, None);
        var sidecarPath = Path.Combine(PartitionDirectory("p0"), key.FileName + FileSystemArchive.MetadataSuffix);
        File.WriteAllText(sidecarPath, File.ReadAllText(sidecarPath).Replace("original-size: 1000", "original-size: 1001", StringComparison.Ordinal));
        var destination = Scratch.Combine("sidecar.download");

        var getInfo = () => Archive.GetInfoAsync(key, None);
        var download = () => Archive.DownloadAsync(key, destination, None);
        var list = () => ListAllAsync("p0");

        (await getInfo.Should().ThrowAsync<ArchiveIntegrityException>()).Which.Message.Should().Contain("fails its checksum");
        await download.Should().ThrowAsync<ArchiveIntegrityException>();
        File.Exists(destination).Should().BeFalse();
        await list.Should().ThrowAsync<ArchiveIntegrityException>();

        await Archive.PutAsync(key, path, facts, None);
        await Archive.DownloadAsync(key, destination, None);
        File.ReadAllBytes(destination).Should().Equal(bytes);
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task CorruptedStoredBytes_AreRepairedByTheNextPutOfTheSameSegment()
    {
        var (path, bytes, facts) = CreateSegmentFile("repair", 50_000, seed: 3);
        var key = Key("p0", 7);
        await Archive.PutAsync(key, path, facts, None);
        FlipByte(Path.Combine(PartitionDirectory("p0"), key.FileName));

        await Archive.PutAsync(key, path, facts, None);

        var destination = Scratch.Combine("repair.download");
        await Archive.DownloadAsync(key, destination, None);
        File.ReadAllBytes(destination).Should().Equal(bytes);
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task InterruptedPut_LeftoversAreNotListedAndTheNextPutReplacesThem()
    {
        var (path, bytes, facts) = CreateSegmentFile("interrupted", 2_000, seed: 4);
        var key = Key("p0", 8);
        var directory = PartitionDirectory("p0");
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, key.FileName), new byte[17]); // renamed data, no sidecar yet
        File.WriteAllBytes(Path.Combine(directory, $".{key.FileName}.0123456789abcdef.tmp"), new byte[5]);
        File.WriteAllBytes(Path.Combine(directory, $".{key.FileName}.aofmeta.0123456789abcdef.tmp"), new byte[5]);

        (await ListAllAsync("p0")).Should().BeEmpty();
        (await Archive.GetInfoAsync(key, None)).Should().BeNull();

        var info = await Archive.PutAsync(key, path, facts, None);

        (await ListAllAsync("p0")).Should().Equal(info);
        var destination = Scratch.Combine("interrupted.download");
        await Archive.DownloadAsync(key, destination, None);
        File.ReadAllBytes(destination).Should().Equal(bytes);
    }

    [Theory]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Put_ReadOnlyTarget_FailsPermanentlyWithoutRetryAndLeavesNothing(bool partitionDirectoryExists)
    {
        if (partitionDirectoryExists)
        {
            var (earlierPath, _, earlierFacts) = CreateSegmentFile("earlier", 100, seed: 5);
            await Archive.PutAsync(Key("p0", 0), earlierPath, earlierFacts, None);
        }

        var filesBefore = ListDirectory("p0");
        var (path, bytes, facts) = CreateSegmentFile("readonly", 30_000, seed: 6);
        var key = Key("p0", 100);
        var counting = new CountingSegmentArchive(Archive);
        var resilient = new ResilientSegmentArchive(counting, FileSystemArchive.IsTransient, new ArchiveRetryOptions { MaxAttempts = 5 }, _time);
        _fileSystem.ReadOnly = true;

        var putTask = resilient.PutAsync(key, path, facts, None);
        await Wait.UntilAsync(
            () =>
            {
                _time.Advance(TimeSpan.FromSeconds(1)); // lets any (wrong) retry run instead of hanging
                return putTask.IsCompleted;
            },
            "the put to a read-only target completed");
        var put = () => putTask;

        var error = (await put.Should().ThrowAsync<ArchiveUnavailableException>()).Which;
        error.Reason.Should().Be(ArchiveUnavailableReason.AccessDenied);
        error.InnerException.Should().BeOfType<UnauthorizedAccessException>();
        FileSystemArchive.IsTransient(error).Should().BeFalse();
        counting.Calls.Should().Be(1, "a read-only target is a permanent fault and must not be retried");
        ListDirectory("p0").Should().Equal(filesBefore);
        (await Archive.GetInfoAsync(key, None)).Should().BeNull();

        _fileSystem.ReadOnly = false;
        await Archive.PutAsync(key, path, facts, None);
        var destination = Scratch.Combine("readonly.download");
        await Archive.DownloadAsync(key, destination, None);
        File.ReadAllBytes(destination).Should().Equal(bytes);
    }

    [Theory]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    [InlineData(1_000)] // while the data is copied
    [InlineData(30_010)] // after the data, while the sidecar is written
    public async Task Put_DiskFull_FailsTransientlyAndLeavesNothingAPutCannotReplace(int bytesBeforeFull)
    {
        var (path, bytes, facts) = CreateSegmentFile("full", 30_000, seed: 7);
        var key = Key("p0", 200);
        _fileSystem.DiskFullAtByte(_fileSystem.BytesWritten + bytesBeforeFull);

        var put = () => Archive.PutAsync(key, path, facts, None);

        var error = (await put.Should().ThrowAsync<ArchiveUnavailableException>()).Which;
        error.Reason.Should().Be(ArchiveUnavailableReason.Other);
        error.Cause.Should().Contain("no space left");
        error.InnerException.Should().BeAssignableTo<IOException>();
        FileSystemArchive.IsTransient(error).Should().BeTrue();
        (await ListAllAsync("p0")).Should().BeEmpty();
        (await Archive.GetInfoAsync(key, None)).Should().BeNull();
        ListDirectory("p0").Should().BeEmpty("temporary files of the failed put must be removed");

        _fileSystem.ClearFaults();
        await Archive.PutAsync(key, path, facts, None);
        var destination = Scratch.Combine("full.download");
        await Archive.DownloadAsync(key, destination, None);
        File.ReadAllBytes(destination).Should().Equal(bytes);
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    public async Task Put_DiskStaysFull_IsRetriedUpToMaxAttemptsThenFails()
    {
        var (path, _, facts) = CreateSegmentFile("stays-full", 10_000, seed: 8);
        var key = Key("p0", 300);
        var counting = new CountingSegmentArchive(Archive);
        var resilient = new ResilientSegmentArchive(
            counting,
            FileSystemArchive.IsTransient,
            new ArchiveRetryOptions { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(40) },
            _time);
        _fileSystem.DiskFullAtByte(_fileSystem.BytesWritten);

        var put = resilient.PutAsync(key, path, facts, None);
        await Wait.UntilAsync(
            () =>
            {
                _time.Advance(TimeSpan.FromMilliseconds(10));
                return put.IsCompleted;
            },
            "the retried put gave up");

        var act = () => put;
        (await act.Should().ThrowAsync<ArchiveUnavailableException>()).Which.InnerException.Should().BeAssignableTo<IOException>();
        counting.Calls.Should().Be(3);
        counting.Errors.Should().AllBeOfType<ArchiveUnavailableException>().And.OnlyContain(e => ((ArchiveUnavailableException)e).IsTransient);
        ListDirectory("p0").Should().BeEmpty();
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    public async Task Put_FsyncFails_FailsAndLeavesNoVisibleObject()
    {
        var (path, bytes, facts) = CreateSegmentFile("fsync", 5_000, seed: 9);
        var key = Key("p0", 400);
        _fileSystem.FailFlushAfter(0);

        var put = () => Archive.PutAsync(key, path, facts, None);

        (await put.Should().ThrowAsync<ArchiveUnavailableException>()).Which.InnerException.Should().BeAssignableTo<IOException>();
        (await ListAllAsync("p0")).Should().BeEmpty();
        ListDirectory("p0").Should().BeEmpty();

        _fileSystem.ClearFaults();
        await Archive.PutAsync(key, path, facts, None);
        var destination = Scratch.Combine("fsync.download");
        await Archive.DownloadAsync(key, destination, None);
        File.ReadAllBytes(destination).Should().Equal(bytes);
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public void IsTransient_ClassifiesErrors()
    {
        FileSystemArchive.IsTransient(new IOException("disk")).Should().BeTrue();
        FileSystemArchive.IsTransient(new UnauthorizedAccessException()).Should().BeFalse();
        FileSystemArchive.IsTransient(new FileNotFoundException()).Should().BeFalse();
        FileSystemArchive.IsTransient(new DirectoryNotFoundException()).Should().BeFalse();
        FileSystemArchive.IsTransient(new ArchiveIntegrityException("k", "bad")).Should().BeFalse();
        FileSystemArchive.IsTransient(new ArchiveObjectNotFoundException("k")).Should().BeFalse();
        FileSystemArchive.IsTransient(new InvalidOperationException()).Should().BeFalse();
        FileSystemArchive.IsTransient(new ArchiveUnavailableException(ArchiveUnavailableReason.Other, "a", "disk", isTransient: true)).Should().BeTrue();
        FileSystemArchive.IsTransient(new ArchiveUnavailableException(ArchiveUnavailableReason.AccessDenied, "a", "denied", isTransient: false)).Should().BeFalse();
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    public async Task EveryCall_RootMissingAndNotToBeCreated_FailsWithBucketMissingAndCreatesNothing()
    {
        var root = Scratch.Combine("unmounted");
        var archive = new FileSystemArchive(new FileSystemArchiveOptions { RootPath = root, CreateRootIfMissing = false });
        var (path, _, facts) = CreateSegmentFile("root", 100, seed: 10);
        var key = Key("p0", 0);

        var calls = new Func<Task>[]
        {
            () => archive.PutAsync(key, path, facts, None),
            () => archive.GetInfoAsync(key, None),
            () => archive.DownloadAsync(key, Scratch.Combine("root.download"), None),
            () => ListWithAsync(archive, "p0"),
            () => archive.DeleteAsync(key, None),
        };

        foreach (var call in calls)
        {
            var error = (await call.Should().ThrowAsync<ArchiveUnavailableException>()).Which;
            error.Reason.Should().Be(ArchiveUnavailableReason.BucketMissing);
            error.IsTransient.Should().BeFalse();
            error.Message.Should().Contain(root);
        }

        Directory.Exists(root).Should().BeFalse("an archive that must not create its root never writes underneath a missing mount");
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    public async Task Calls_RootRemovedAfterFirstUse_FailWithBucketMissingAndTheRootIsNotRecreated()
    {
        var root = Scratch.Combine("vanishing");
        var archive = new FileSystemArchive(new FileSystemArchiveOptions { RootPath = root });
        var (path, _, facts) = CreateSegmentFile("vanish", 100, seed: 11);
        await archive.PutAsync(Key("p0", 0), path, facts, None);
        Directory.Delete(root, recursive: true);

        var put = () => archive.PutAsync(Key("p0", 1), path, facts, None);
        var list = () => ListWithAsync(archive, "p0");
        var download = () => archive.DownloadAsync(Key("p0", 0), Scratch.Combine("vanish.download"), None);

        (await put.Should().ThrowAsync<ArchiveUnavailableException>()).Which.Reason.Should().Be(ArchiveUnavailableReason.BucketMissing);
        (await list.Should().ThrowAsync<ArchiveUnavailableException>("an empty listing would pass for a partition that was never archived"))
            .Which.Reason.Should().Be(ArchiveUnavailableReason.BucketMissing);
        (await download.Should().ThrowAsync<ArchiveUnavailableException>()).Which.Reason.Should().Be(ArchiveUnavailableReason.BucketMissing);
        Directory.Exists(root).Should().BeFalse();
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task FirstUse_RootMissing_IsCreatedByDefault()
    {
        var root = Scratch.Combine("fresh", "archive");
        var archive = new FileSystemArchive(new FileSystemArchiveOptions { RootPath = root });

        (await ListWithAsync(archive, "p0")).Should().BeEmpty();

        Directory.Exists(root).Should().BeTrue();
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    public async Task Put_TargetUnwritable_FailsWithAccessDeniedNamingTheArchive()
    {
        var (path, _, facts) = CreateSegmentFile("denied", 100, seed: 12);
        _fileSystem.ReadOnly = true;

        var put = () => Archive.PutAsync(Key("p9", 0), path, facts, None);

        var error = (await put.Should().ThrowAsync<ArchiveUnavailableException>()).Which;
        error.Reason.Should().Be(ArchiveUnavailableReason.AccessDenied);
        error.Archive.Should().Be(FileSystemArchive.Description);
        error.Message.Should().Contain("AccessDenied").And.Contain("credentials and permissions");
        _fileSystem.ReadOnly = false;
    }

    private async Task<List<ArchivedObjectInfo>> ListWithAsync(FileSystemArchive archive, string partition)
    {
        var all = new List<ArchivedObjectInfo>();
        await foreach (var o in archive.ListAsync(Log, partition, None))
        {
            all.Add(o);
        }

        return all;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _root.Dispose();
        }
    }

    private string[] ListDirectory(string partition) =>
        Directory.Exists(PartitionDirectory(partition))
            ? [.. Directory.GetFiles(PartitionDirectory(partition)).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal)]
            : [];
}
