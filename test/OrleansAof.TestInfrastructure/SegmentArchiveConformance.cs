using FluentAssertions;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Format;
using Xunit;

namespace OrleansAof.TestInfrastructure;

/// <summary>
/// What every <see cref="ISegmentArchive"/> must do, run against each implementation by a derived test class: exact
/// round trips (a few bytes and a multi-part object), idempotent puts, exact listings
/// across pages, deletes, missing keys and damaged data that is never returned.
/// </summary>
public abstract class SegmentArchiveConformance : ArchiveTestBase
{
    /// <summary>The compression the archive records for new objects.</summary>
    protected virtual string ExpectedCompression => ArchiveCompression.None;

    /// <summary>How many objects the listing test stores (more than the archive's page size where it has one).</summary>
    protected virtual int ListObjectCount => 23;

    /// <summary>Changes one byte of the stored object behind the archive's back.</summary>
    protected abstract void CorruptStoredObject(ArchiveObjectKey key);

    [Fact]
    public async Task Put_FewBytes_InfoAndDownloadAreExact()
    {
        var (path, bytes, facts) = CreateSegmentFile("small", 5, seed: 1);
        var key = Key("p0", 0);

        var info = await Archive.PutAsync(key, path, facts, None);

        facts.Should().Be(new SegmentFileFacts(5, Crc32C.Compute(bytes)));
        info.Key.Should().Be(key);
        info.Original.Should().Be(facts);
        info.Compression.Should().Be(ExpectedCompression);
        if (ExpectedCompression == ArchiveCompression.None)
        {
            info.StoredSize.Should().Be(5);
            info.StoredChecksum.Should().Be(facts.Checksum);
        }

        (await Archive.GetInfoAsync(key, None)).Should().Be(info);
        var downloaded = Scratch.Combine("small.download");
        await Archive.DownloadAsync(key, downloaded, None);
        File.ReadAllBytes(downloaded).Should().Equal(bytes);
    }

    [Fact]
    public async Task Put_LargeObject_DownloadIsByteIdentical()
    {
        var (path, bytes, facts) = CreateSegmentFile("large", LargeObjectSize, seed: 2);
        var key = Key("p0", 1000);

        var info = await Archive.PutAsync(key, path, facts, None);

        info.Original.Should().Be(new SegmentFileFacts(LargeObjectSize, Crc32C.Compute(bytes)));
        info.Compression.Should().Be(ExpectedCompression);
        var downloaded = Scratch.Combine("large.download");
        await Archive.DownloadAsync(key, downloaded, None);
        new FileInfo(downloaded).Length.Should().Be(LargeObjectSize);
        File.ReadAllBytes(downloaded).AsSpan().SequenceEqual(bytes).Should().BeTrue("the downloaded object must be the segment file byte for byte");
    }

    [Fact]
    public async Task Put_SameKeyTwice_IsIdempotent()
    {
        var (path, bytes, facts) = CreateSegmentFile("twice", 70_001, seed: 3);
        var key = Key("p0", 7);

        var first = await Archive.PutAsync(key, path, facts, None);
        var second = await Archive.PutAsync(key, path, facts, None);

        second.Should().Be(first, "a repeated put of the same bytes must leave the stored object as it was");
        var listed = await ListAllAsync("p0");
        listed.Should().Equal(first);
        var downloaded = Scratch.Combine("twice.download");
        await Archive.DownloadAsync(key, downloaded, None);
        File.ReadAllBytes(downloaded).Should().Equal(bytes);
    }

    [Fact]
    public async Task Put_OtherBytesUnderSameKey_ReplacesObject()
    {
        var (pathA, _, factsA) = CreateSegmentFile("a", 4_000, seed: 4);
        var (pathB, bytesB, factsB) = CreateSegmentFile("b", 3_000, seed: 5);
        var key = Key("p0", 9);

        await Archive.PutAsync(key, pathA, factsA, None);
        var info = await Archive.PutAsync(key, pathB, factsB, None);

        info.Original.Should().Be(factsB);
        (await Archive.GetInfoAsync(key, None))!.Original.Should().Be(factsB);
        var downloaded = Scratch.Combine("b.download");
        await Archive.DownloadAsync(key, downloaded, None);
        File.ReadAllBytes(downloaded).Should().Equal(bytesB);
    }

    [Fact]
    public async Task Put_FactsDoNotMatchLocalFile_ThrowsIntegrityAndStoresNothing()
    {
        var (path, _, facts) = CreateSegmentFile("mismatch", 10_000, seed: 6);
        var key = Key("p0", 11);

        var wrongChecksum = () => Archive.PutAsync(key, path, facts with { Checksum = facts.Checksum ^ 1 }, None);
        var wrongSize = () => Archive.PutAsync(key, path, facts with { Size = facts.Size + 1 }, None);

        (await wrongChecksum.Should().ThrowAsync<Storage.ArchiveIntegrityException>()).Which.ObjectKey.Should().Be(key.RelativeKey);
        await wrongSize.Should().ThrowAsync<Storage.ArchiveIntegrityException>();
        (await Archive.GetInfoAsync(key, None)).Should().BeNull();
        (await ListAllAsync("p0")).Should().BeEmpty();
    }

    [Fact]
    public async Task Put_MissingLocalFile_ThrowsFileNotFoundAndStoresNothing()
    {
        var key = Key("p0", 12);

        var put = () => Archive.PutAsync(key, Scratch.Combine("no-such-file"), new SegmentFileFacts(1, 1), None);

        await put.Should().ThrowAsync<FileNotFoundException>();
        (await Archive.GetInfoAsync(key, None)).Should().BeNull();
    }

    [Theory]
    [InlineData("..", "p0", "00000000000000000000.aofseg")]
    [InlineData("log", "a/b", "00000000000000000000.aofseg")]
    [InlineData("log", "p0", ".hidden")]
    [InlineData("log", "p0", "")]
    public async Task Put_InvalidName_ThrowsInvalidPartitionName(string log, string partition, string fileName)
    {
        var (path, _, facts) = CreateSegmentFile("name", 10, seed: 7);

        var put = () => Archive.PutAsync(new ArchiveObjectKey(log, partition, fileName), path, facts, None);

        await put.Should().ThrowAsync<Storage.InvalidPartitionNameException>();
    }

    [Fact]
    public async Task List_ManyObjects_ReturnsExactlyThePartitionsObjectsInKeyOrder()
    {
        var count = ListObjectCount;
        var expected = new List<(ArchiveObjectKey Key, SegmentFileFacts Facts)>();
        var puts = new List<Func<Task>>();
        for (var i = 0; i < count; i++)
        {
            var (path, _, facts) = CreateSegmentFile($"list-{i}", 100 + i, seed: 100 + i);
            var key = Key("p1", (count - i) * 1000L); // put in reverse key order
            expected.Add((key, facts));
            puts.Add(() => Archive.PutAsync(key, path, facts, None));
        }

        var (otherPath, _, otherFacts) = CreateSegmentFile("other", 50, seed: 99);
        puts.Add(() => Archive.PutAsync(Key("p2", 0), otherPath, otherFacts, None));
        puts.Add(() => Archive.PutAsync(new ArchiveObjectKey(Log + "x", "p1", Storage.PartitionLayout.SegmentFileName(0)), otherPath, otherFacts, None));
        await RunBoundedAsync(puts, 8);

        var listed = await ListAllAsync("p1");

        listed.Select(i => i.Key).Should().Equal(expected.Select(e => e.Key).OrderBy(k => k.FileName, StringComparer.Ordinal));
        listed.Select(i => i.Original).Should().Equal(expected.OrderBy(e => e.Key.FileName, StringComparer.Ordinal).Select(e => e.Facts));
        listed.Should().OnlyContain(i => i.Compression == ExpectedCompression);
    }

    [Fact]
    public async Task List_EmptyPartition_ReturnsNothing()
    {
        (await ListAllAsync("never-written")).Should().BeEmpty();
    }

    [Fact]
    public async Task Delete_ExistingObject_RemovesItAndDeletingAgainIsHarmless()
    {
        var (path, bytes, facts) = CreateSegmentFile("delete", 1234, seed: 9);
        var key = Key("p0", 30);
        await Archive.PutAsync(key, path, facts, None);

        await Archive.DeleteAsync(key, None);
        await Archive.DeleteAsync(key, None);

        (await Archive.GetInfoAsync(key, None)).Should().BeNull();
        (await ListAllAsync("p0")).Should().BeEmpty();
        var download = () => Archive.DownloadAsync(key, Scratch.Combine("deleted.download"), None);
        await download.Should().ThrowAsync<ArchiveObjectNotFoundException>();

        await Archive.PutAsync(key, path, facts, None);
        var downloaded = Scratch.Combine("again.download");
        await Archive.DownloadAsync(key, downloaded, None);
        File.ReadAllBytes(downloaded).Should().Equal(bytes);
    }

    [Fact]
    public async Task GetInfo_MissingKey_ReturnsNull()
    {
        (await Archive.GetInfoAsync(Key("p0", 40), None)).Should().BeNull();
    }

    [Fact]
    public async Task Download_MissingKey_ThrowsArchiveObjectNotFoundAndWritesNothing()
    {
        var destination = Scratch.Combine("missing.download");

        var download = () => Archive.DownloadAsync(Key("p0", 41), destination, None);

        await download.Should().ThrowAsync<ArchiveObjectNotFoundException>();
        File.Exists(destination).Should().BeFalse();
    }

    [Fact]
    public async Task Download_ExistingDestination_IsReplacedExactly()
    {
        var (path, bytes, facts) = CreateSegmentFile("replace", 3_333, seed: 10);
        var key = Key("p0", 42);
        await Archive.PutAsync(key, path, facts, None);
        var destination = Scratch.Combine("replace.download");
        File.WriteAllBytes(destination, new byte[10_000]);

        await Archive.DownloadAsync(key, destination, None);

        File.ReadAllBytes(destination).Should().Equal(bytes);
    }

    [Fact]
    public async Task Download_CorruptedStoredBytes_ThrowsIntegrityAndLeavesNoFile()
    {
        var (path, _, facts) = CreateSegmentFile("corrupt", 200_000, seed: 11);
        var key = Key("p0", 50);
        await Archive.PutAsync(key, path, facts, None);
        CorruptStoredObject(key);
        var destination = Scratch.Combine("corrupt.download");

        var download = () => Archive.DownloadAsync(key, destination, None);

        (await download.Should().ThrowAsync<Storage.ArchiveIntegrityException>()).Which.ObjectKey.Should().Be(key.RelativeKey);
        File.Exists(destination).Should().BeFalse("a download that fails verification must not leave its bytes behind");
    }
}
