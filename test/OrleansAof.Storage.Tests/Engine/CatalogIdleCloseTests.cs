using FluentAssertions;
using OrleansAof.Storage.Catalog;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

/// <summary>
/// An open partition does not keep its catalog's SQLite connection (its page cache and three file descriptors) while
/// the catalog is not used: checked on the process's real file descriptors.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public class CatalogIdleCloseTests : LogTestBase
{
    [Fact]
    public async Task AnIdlePartition_ClosesItsCatalog_AndOpensItAgainWhenASealNeedsIt()
    {
        await using var log = await OpenAsync(Options(o => o.MaxSegmentBytes = 1 << 20));
        var catalog = Path.Combine(Temp.Path, "orders", "0", PartitionLayout.CatalogFileName);
        (await log.AppendAsync(Payload(0, 100))).FirstId.Should().Be(0);

        await WaitUntilClosedAsync(catalog);

        // A seal writes the segment's row: the catalog opens again, and closes again once idle.
        (await log.SealAsync()).Should().NotBeNull();
        (await log.AppendAsync(Payload(1, 100))).FirstId.Should().Be(1);
        await WaitUntilClosedAsync(catalog);

        await log.DisposeAsync();
        using var reopened = SegmentCatalog.Open(catalog);
        var rows = reopened.ReadAll();
        rows.Where(r => r.Status == SegmentStatus.Sealed).Select(r => (r.BaseId, r.LastId, r.RecordCount)).Should().Equal((0L, 0L, 1L));
        rows.Where(r => r.Status == SegmentStatus.Active).Select(r => r.BaseId).Should().Equal(1L);
    }

    private static async Task WaitUntilClosedAsync(string catalog)
    {
        var deadline = DateTime.UtcNow + SegmentCatalog.IdleClose + TimeSpan.FromSeconds(20);
        while (OpenDescriptors(catalog) > 0)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, $"the catalog {catalog} must be closed once idle, but {OpenDescriptors(catalog)} descriptors still point at it");
            await Task.Delay(50);
        }
    }

    /// <summary>Descriptors of this process open on the catalog or its -wal and -shm files.</summary>
    private static int OpenDescriptors(string catalog)
    {
        var count = 0;
        foreach (var fd in Directory.EnumerateFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(catalog, StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The descriptor closed while we looked.
            }
        }

        return count;
    }
}
