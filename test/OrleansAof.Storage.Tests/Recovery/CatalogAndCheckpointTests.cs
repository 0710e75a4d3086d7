using FluentAssertions;
using Microsoft.Data.Sqlite;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>The catalog is a cache of the segment files, and records acknowledged on write need no checkpoint to survive.</summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public class CatalogAndCheckpointTests : RecoveryTestBase
{
    private const int Count = 60;

    public enum CatalogDamage
    {
        Deleted,
        Garbage,
        Truncated,
        Stale,
    }

    [Theory]
    [InlineData(CatalogDamage.Deleted)]
    [InlineData(CatalogDamage.Garbage)]
    [InlineData(CatalogDamage.Truncated)]
    [InlineData(CatalogDamage.Stale)]
    public async Task Catalog_DeletedCorruptOrStale_IsRebuiltWithTheSameSegmentsIdsAndBytes(CatalogDamage damage)
    {
        var options = Options(o => o.MaxSegmentBytes = 4096);
        var payloads = Enumerable.Range(0, Count).Select(static i => Payload(i, 100 + i)).ToArray();
        var stale = Temp.Combine("stale-catalog");
        List<(long, long, long, SegmentStatus, uint)> before;
        await using (var log = await OpenAsync(options))
        {
            for (var i = 0; i < Count; i++)
            {
                (await log.AppendAsync(payloads[i])).FirstId.Should().Be(i);
                if (i == Count / 2)
                {
                    // An old copy of the catalog, from before half of the segments existed.
                    SqliteConnection.ClearAllPools();
                    using var source = new SqliteConnection($"Data Source={CatalogPath(Temp.Path)};Mode=ReadOnly;Pooling=False");
                    source.Open();
                    using var target = new SqliteConnection($"Data Source={stale};Pooling=False");
                    source.BackupDatabase(target);
                }
            }

            before = Summary(log.GetInfo());
        }

        before.Count(static s => s.Item4 == SegmentStatus.Sealed).Should().BeGreaterThanOrEqualTo(3);
        var catalog = CatalogPath(Temp.Path);
        switch (damage)
        {
            case CatalogDamage.Deleted:
                foreach (var f in Directory.GetFiles(PartitionDirectory(Temp.Path), "catalog.db*"))
                {
                    File.Delete(f);
                }

                break;
            case CatalogDamage.Garbage:
                var garbage = new byte[8192];
                new Random(7).NextBytes(garbage);
                await File.WriteAllBytesAsync(catalog, garbage);
                break;
            case CatalogDamage.Truncated:
                using (var stream = new FileStream(catalog, FileMode.Open, FileAccess.Write))
                {
                    stream.SetLength(stream.Length / 2);
                }

                break;
            case CatalogDamage.Stale:
                File.Copy(stale, catalog, overwrite: true);
                break;
        }

        await using (var log = await OpenAsync(options))
        {
            log.State.Should().Be(PartitionState.Open);
            Summary(log.GetInfo()).Should().Equal(before, "the catalog is rebuilt from the segment files");
            await ShouldHoldExactlyAsync(log, payloads, $"after the catalog was {damage}");
            (await log.AppendAsync(Payload(Count))).FirstId.Should().Be(Count);
        }

        // The rebuilt catalog is a good one: the next open finds nothing to repair.
        await using (var log = await OpenAsync(options))
        {
            var sealedBefore = before.Where(static s => s.Item4 == SegmentStatus.Sealed).ToList();
            Summary(log.GetInfo()).Take(sealedBefore.Count).Should().Equal(sealedBefore);
            log.NextId.Should().Be(Count + 1);
        }
    }

    [Theory]
    [InlineData(FlushPolicyKind.Async)]
    [InlineData(FlushPolicyKind.Batched)]
    public async Task AcknowledgedOnWriteRecords_NoCheckpointWasEverWritten_SurviveACrash(FlushPolicyKind kind)
    {
        var options = Options(o => o.FlushPolicy = kind == FlushPolicyKind.Async ? FlushPolicy.Async : FlushPolicy.Batched(1000));
        var payloads = Enumerable.Range(0, 6).Select(static i => Payload(i, 40)).ToArray();
        var fs = SegmentFaults();
        var log = await OpenAsync(options, fs);
        (await log.AppendAsync(payloads[0])).Should().Be(new AppendResult(0, 0, false));
        (await log.AppendBatchAsync([payloads[1], payloads[2], payloads[3]])).Should().Be(new AppendResult(1, 3, false));
        (await log.AppendAsync(payloads[4])).Should().Be(new AppendResult(4, 4, false));
        (await log.AppendAsync(payloads[5])).Should().Be(new AppendResult(5, 5, false));

        // The process dies now: the checkpoint that closing would write never reaches the file.
        fs.TearAtByte(fs.BytesWritten);
        await DisposeAfterCrashAsync(log);
        fs.Crashed.Should().BeTrue("closing tried to write a checkpoint");
        ScanFile(SegmentFiles(Temp.Path)[0]).Checkpoints.Should().BeEmpty();

        await using var again = await OpenAsync(options);
        again.State.Should().Be(PartitionState.Open);
        await ShouldHoldExactlyAsync(again, payloads, "records acknowledged on write survive without any checkpoint");
        (await again.AppendAsync(Payload(6))).FirstId.Should().Be(6);
    }

    [Fact]
    public async Task AcknowledgedOnWriteRecords_TrailingCheckpointRemoved_SurviveAReopen()
    {
        var options = Options(o => o.FlushPolicy = FlushPolicy.Async);
        var payloads = Enumerable.Range(0, 5).Select(static i => Payload(i, 30)).ToArray();
        await using (var log = await OpenAsync(options))
        {
            foreach (var p in payloads)
            {
                await log.AppendAsync(p);
            }
        }

        var path = SegmentFiles(Temp.Path)[0];
        var scan = ScanFile(path);
        scan.Checkpoints.Should().ContainSingle("closing flushed once");
        var checkpoint = scan.Checkpoints[0].Checkpoint.Offset;
        checkpoint.Should().Be(scan.Records[^1].End);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(checkpoint);
        }

        await using var again = await OpenAsync(options);
        again.State.Should().Be(PartitionState.Open);
        await ShouldHoldExactlyAsync(again, payloads, "no checkpoint is needed for records acknowledged on write");
    }

    private static List<(long, long, long, SegmentStatus, uint)> Summary(PartitionInfo info) =>
        [.. info.Segments.Select(static s => (s.BaseId, s.LastId, s.RecordCount, s.Status, s.DataChecksum))];
}
