using FluentAssertions;
using Microsoft.Data.Sqlite;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Catalog;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>
/// Every catalog row and meta value carries its own checksum: a changed value that SQLite's own integrity check cannot
/// see (it checks pages, not values) makes the catalog unreadable, and the partition rebuilds it from its files.
/// </summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public class CatalogChecksumTests : RecoveryTestBase
{
    private static void Sql(string catalog, string sql)
    {
        SqliteConnection.ClearAllPools();
        using var connection = new SqliteConnection($"Data Source={catalog};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery().Should().BePositive("the statement must change a row: {0}", sql);
    }

    [Fact]
    public async Task RowStatusFlippedFromSealedToArchived_IsDetected_AndTheSegmentIsNeverEvictedUnarchived()
    {
        // Sealed (1) to Archived (3) is one bit. Trusted, it would let eviction delete the only copy of a segment.
        var archive = new FileSystemArchive(new FileSystemArchiveOptions { RootPath = Temp.Combine("archive") });
        var options = Options(o =>
        {
            o.MaxSegmentBytes = 4096;
            o.KeepLocalSegments = 1;
        });
        var environment = new PartitionLogEnvironment { Archive = archive };
        SegmentInfo victim;
        await using (var log = await PartitionLog.OpenAsync(LogName, PartitionName, options, environment))
        {
            for (var i = 0; i < 60; i++)
            {
                await log.AppendAsync(Payload(i, 100));
            }

            victim = log.GetInfo().Segments.First(static s => s.Status == SegmentStatus.Sealed);
        }

        Sql(CatalogPath(Temp.Path), $"UPDATE segments SET status = {(int)SegmentStatus.Archived} WHERE base_id = {victim.BaseId}");
        FluentActions.Invoking(() => SegmentCatalog.Open(CatalogPath(Temp.Path)).Dispose()).Should().Throw<InvalidDataException>()
            .WithMessage($"*row {victim.BaseId} fails its checksum*");

        await using (var log = await PartitionLog.OpenAsync(LogName, PartitionName, options, environment))
        {
            log.GetInfo().Segments.Single(s => s.BaseId == victim.BaseId).Status.Should().Be(SegmentStatus.Sealed, "the rebuilt catalog knows the segment was never archived");
            (await log.EvictArchivedAsync()).Should().BeEmpty();
            File.Exists(Path.Combine(SegmentsDirectory(Temp.Path), victim.FileName)).Should().BeTrue();
            var records = await ReadAllAsync(log);
            records.Select(static r => r.Id).Should().Equal(Enumerable.Range(0, 60).Select(static i => (long)i));
        }
    }

    [Fact]
    public async Task MetaValueChanged_IsDetected_AndTheFirstIdComesFromTheFiles()
    {
        var options = Options(o => o.MaxSegmentBytes = 4096);
        await using (var log = await OpenAsync(options))
        {
            for (var i = 0; i < 30; i++)
            {
                await log.AppendAsync(Payload(i, 100));
            }
        }

        // A first id past records that are still there would hide them behind RecordTrimmedException.
        Sql(CatalogPath(Temp.Path), "UPDATE meta SET value = '20' WHERE key = 'first_id'");
        FluentActions.Invoking(() => SegmentCatalog.Open(CatalogPath(Temp.Path)).Dispose()).Should().Throw<InvalidDataException>()
            .WithMessage("*'first_id' fails its checksum*");
        await using (var log = await OpenAsync(options))
        {
            log.FirstId.Should().Be(0);
            (await ReadAllAsync(log)).Should().HaveCount(30);
        }
    }

    [Fact]
    public void SchemaOneCatalog_IsMigrated_RowsKeptAndChecksummed()
    {
        var path = Temp.Combine("v1.db");
        SqliteConnection.ClearAllPools();
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE segments (base_id INTEGER PRIMARY KEY, last_id INTEGER NOT NULL, record_count INTEGER NOT NULL,
                    status INTEGER NOT NULL, size_bytes INTEGER NOT NULL, created_at INTEGER NOT NULL, sealed_at INTEGER,
                    first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, data_checksum INTEGER NOT NULL, file_checksum INTEGER NOT NULL,
                    writer_epoch INTEGER NOT NULL, file_name TEXT NOT NULL, archive_key TEXT, archived_size INTEGER NOT NULL,
                    archived_checksum INTEGER NOT NULL);
                INSERT INTO meta VALUES ('schema_version', '1'), ('first_id', '7');
                INSERT INTO segments VALUES (7, 19, 13, 4, 5000, 1000, 2000, 1500, 1900, 12345, 678, 3, '00000000000000000007.aofseg', 'log/0/00000000000000000007.aofseg', 4800, 999);
                INSERT INTO segments VALUES (20, 29, 10, 1, 4000, 3000, 4000, 3500, 3900, 54321, 0, 3, '00000000000000000020.aofseg', NULL, 0, 0);
                """;
            cmd.ExecuteNonQuery();
        }

        using (var catalog = SegmentCatalog.Open(path))
        {
            catalog.GetMeta("schema_version").Should().Be(SegmentCatalog.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
            catalog.GetMeta("first_id").Should().Be("7");
            var rows = catalog.ReadAll();
            rows.Select(static r => (r.BaseId, r.LastId, r.Status, r.ArchiveKey, r.ArchivedChecksum)).Should().Equal(
                (7L, 19L, SegmentStatus.LocalEvicted, "log/0/00000000000000000007.aofseg", 999u),
                (20L, 29L, SegmentStatus.Sealed, (string?)null, 0u));
        }

        // Checksummed now: a changed value is found.
        Sql(path, "UPDATE segments SET last_id = 18 WHERE base_id = 7");
        FluentActions.Invoking(() => SegmentCatalog.Open(path).Dispose()).Should().Throw<InvalidDataException>();
    }
}
