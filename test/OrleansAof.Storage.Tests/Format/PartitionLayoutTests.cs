using FluentAssertions;
using OrleansAof.Storage.Tests.Recovery;
using Xunit;

namespace OrleansAof.Storage.Tests.Format;

/// <summary><see cref="PartitionLayout"/> names exactly the folders and files a partition writes (docs/format.md, "Directory layout").</summary>
public class PartitionLayoutTests : RecoveryTestBase
{
    [Fact]
    public async Task OpenedPartition_WritesExactlyTheLayoutNames()
    {
        var log = await OpenAsync(Options(o => o.Preallocation = PreallocationMode.None));
        await log.AppendAsync(Payload(0));
        await log.FlushAsync();

        var dir = PartitionLayout.PartitionDirectory(Temp.Path, LogName, PartitionName);
        dir.Should().Be(Path.GetFullPath(PartitionDirectory(Temp.Path)));
        // SQLite keeps its own companions (catalog.db-wal, catalog.db-shm) beside the catalog.
        Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Where(static n => !n!.StartsWith(PartitionLayout.CatalogFileName + "-", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).Should().Equal(
            [PartitionLayout.CatalogFileName, PartitionLayout.EpochFileName, PartitionLayout.QuarantineFolder, PartitionLayout.SegmentsFolder, PartitionLayout.LockFileName]);
        Directory.GetFiles(PartitionLayout.SegmentsOf(dir), PartitionLayout.SegmentFilePattern).Select(Path.GetFileName).Should().Equal(PartitionLayout.SegmentFileName(0));
        Directory.Exists(PartitionLayout.QuarantineOf(dir)).Should().BeTrue();
        await log.DisposeAsync();
    }

    [Fact]
    public void Names_AreTheDocumentedOnes()
    {
        string[] names = [PartitionLayout.SegmentsFolder, PartitionLayout.QuarantineFolder, PartitionLayout.CacheFolder, PartitionLayout.LockFileName,
            PartitionLayout.EpochFileName, PartitionLayout.CatalogFileName, PartitionLayout.PreallocatedFileName, PartitionLayout.SegmentFilePattern, PartitionLayout.HandedOverFolder];
        names.Should().Equal("segments", "quarantine", "cache", "writer.lock", "epoch", "catalog.db", "next.prealloc", "*.aofseg", ".handed-over");
    }

    [Theory]
    [InlineData(0L, "00000000000000000000.aofseg")]
    [InlineData(4711L, "00000000000000004711.aofseg")]
    [InlineData(long.MaxValue, "09223372036854775807.aofseg")]
    public void SegmentFileName_RoundTrips(long baseId, string name)
    {
        PartitionLayout.SegmentFileName(baseId).Should().Be(name);
        PartitionLayout.TryParseSegmentFileName(Path.Combine("x", name), out var parsed).Should().BeTrue();
        parsed.Should().Be(baseId);
    }

    [Theory]
    [InlineData("4711.aofseg")]
    [InlineData("00000000000000004711.aofseg.1")]
    [InlineData("0000000000000000471x.aofseg")]
    [InlineData("-0000000000000004711.aofseg")]
    [InlineData("00000000000000004711.seg")]
    public void TryParseSegmentFileName_RefusesOtherNames(string name)
    {
        PartitionLayout.TryParseSegmentFileName(name, out _).Should().BeFalse();
    }

    [Theory]
    [InlineData("..", "0")]
    [InlineData("orders", "a/b")]
    [InlineData("orders", "")]
    public void PartitionDirectory_RefusesNamesThatAreNotPartitionNames(string log, string partition)
    {
        var act = () => PartitionLayout.PartitionDirectory(Temp.Path, log, partition);
        act.Should().Throw<InvalidPartitionNameException>();
    }
}
