using FluentAssertions;
using OrleansAof.Storage.Catalog;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>
/// A new partition's catalog is written from an empty catalog made once per process (one write and one fsync instead of
/// SQLite's creation); what an earlier catalog left behind must not come back into it.
/// </summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public class EmptyCatalogTests : RecoveryTestBase
{
    [Fact]
    public void CreateEmpty_NextToTheWriteAheadLogOfADeletedCatalog_OpensEmpty()
    {
        var path = Temp.Combine("catalog.db");
        var savedLog = Temp.Combine("saved-wal");
        using (var old = SegmentCatalog.Open(path))
        {
            old.SetMeta("lost_ids", "SkipPastBound");
            File.Copy(path + "-wal", savedLog);
        }

        // The catalog file is lost, its write-ahead log (with the committed value) is not.
        File.Delete(path);
        File.Copy(savedLog, path + "-wal");

        SegmentCatalog.CreateEmpty(path, PhysicalFileSystem.Instance).Should().BeTrue();
        using var catalog = SegmentCatalog.Open(path);
        catalog.GetMeta("lost_ids").Should().BeNull("the write-ahead log of an earlier catalog must not be applied to a new one");
        catalog.ReadAll().Should().BeEmpty();
    }
}
