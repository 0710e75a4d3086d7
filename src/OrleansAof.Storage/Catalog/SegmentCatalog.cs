using System.Globalization;
using Microsoft.Data.Sqlite;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Catalog;

/// <summary>
/// The per-partition segment catalog in SQLite (<c>catalog.db</c>). It is a cache of the truth held by the segment
/// files and the archive: when it is missing, unreadable or disagrees with them, the partition rebuilds it.
/// </summary>
public sealed class SegmentCatalog : IDisposable
{
    /// <summary>Schema version stored in the <c>meta</c> table.</summary>
    public const int SchemaVersion = 1;

    private readonly Lock _sync = new();
    private readonly SqliteConnection _connection;
    private readonly IFileSystem _fileSystem;

    private SegmentCatalog(string path, SqliteConnection connection, IFileSystem fileSystem)
    {
        Path = path;
        _connection = connection;
        _fileSystem = fileSystem;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Opens (creating when missing) the catalog at <paramref name="path"/>. Throws <see cref="SqliteException"/> when the file is not a usable catalog.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="fileSystem">
    /// The file system of the partition: SQLite writes the file itself, so every write of the catalog (this open and
    /// each mutating call) is announced to it first through <see cref="IFileSystem.BeforeExternalWrite"/>.
    /// </param>
    public static SegmentCatalog Open(string path, IFileSystem fileSystem)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        fileSystem.BeforeExternalWrite(path);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadWriteCreate }.ToString());
        try
        {
            connection.Open();
            Execute(connection, """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS segments (
                    base_id INTEGER PRIMARY KEY,
                    last_id INTEGER NOT NULL,
                    record_count INTEGER NOT NULL,
                    status INTEGER NOT NULL,
                    size_bytes INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    sealed_at INTEGER,
                    first_ts INTEGER NOT NULL,
                    last_ts INTEGER NOT NULL,
                    data_checksum INTEGER NOT NULL,
                    file_checksum INTEGER NOT NULL,
                    writer_epoch INTEGER NOT NULL,
                    file_name TEXT NOT NULL,
                    archive_key TEXT,
                    archived_size INTEGER NOT NULL,
                    archived_checksum INTEGER NOT NULL);
                """);
            var version = ReadMeta(connection, "schema_version");
            if (version is null)
            {
                WriteMeta(connection, "schema_version", SchemaVersion.ToString(CultureInfo.InvariantCulture));
            }
            else if (version != SchemaVersion.ToString(CultureInfo.InvariantCulture))
            {
                throw new InvalidDataException($"catalog schema version {version} is not {SchemaVersion}");
            }

            using (var check = connection.CreateCommand())
            {
                check.CommandText = "PRAGMA quick_check;";
                var answer = check.ExecuteScalar() as string;
                if (answer != "ok")
                {
                    throw new InvalidDataException($"catalog integrity check failed: {answer}");
                }
            }

            return new SegmentCatalog(path, connection, fileSystem);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens an existing catalog for reading only, without creating, migrating or checking it (the offline tools use this
    /// so that looking at a partition never changes it). Throws <see cref="SqliteException"/> when it cannot be read.
    /// </summary>
    public static SegmentCatalog OpenReadOnly(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        try
        {
            connection.Open();
            return new SegmentCatalog(path, connection, PhysicalFileSystem.Instance);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Deletes the catalog files at <paramref name="path"/> (database, WAL and shared memory).</summary>
    /// <param name="path">The database file.</param>
    /// <param name="fileSystem">The file system of the partition, told first through <see cref="IFileSystem.BeforeExternalWrite"/>.</param>
    public static void Delete(string path, IFileSystem fileSystem)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        fileSystem.BeforeExternalWrite(path);
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            File.Delete(path + suffix);
        }
    }

    /// <summary>Every segment row, by base id.</summary>
    public List<SegmentInfo> ReadAll()
    {
        lock (_sync)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT base_id, last_id, record_count, status, size_bytes, created_at, sealed_at, first_ts, last_ts, data_checksum, file_checksum, writer_epoch, file_name, archive_key, archived_size, archived_checksum FROM segments ORDER BY base_id";
            using var reader = cmd.ExecuteReader();
            var rows = new List<SegmentInfo>();
            while (reader.Read())
            {
                rows.Add(new SegmentInfo(
                    reader.GetInt64(0),
                    reader.GetInt64(1),
                    reader.GetInt64(2),
                    (SegmentStatus)reader.GetInt32(3),
                    reader.GetInt64(4),
                    Format.SegmentFormat.FromUnixMicroseconds(reader.GetInt64(5)),
                    reader.IsDBNull(6) ? null : Format.SegmentFormat.FromUnixMicroseconds(reader.GetInt64(6)),
                    reader.GetInt64(7),
                    reader.GetInt64(8),
                    (uint)reader.GetInt64(9),
                    (uint)reader.GetInt64(10),
                    reader.GetInt64(11),
                    reader.GetString(12),
                    reader.IsDBNull(13) ? null : reader.GetString(13),
                    reader.GetInt64(14),
                    (uint)reader.GetInt64(15)));
            }

            return rows;
        }
    }

    /// <summary>Inserts or replaces the row of <paramref name="segment"/>.</summary>
    public void Upsert(SegmentInfo segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        _fileSystem.BeforeExternalWrite(Path);
        lock (_sync)
        {
            UpsertCore(segment, null);
        }
    }

    /// <summary>Replaces every row with <paramref name="segments"/> in one transaction.</summary>
    public void ReplaceAll(IEnumerable<SegmentInfo> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        _fileSystem.BeforeExternalWrite(Path);
        lock (_sync)
        {
            using var tx = _connection.BeginTransaction();
            using (var del = _connection.CreateCommand())
            {
                del.Transaction = tx;
                del.CommandText = "DELETE FROM segments";
                del.ExecuteNonQuery();
            }

            foreach (var s in segments)
            {
                UpsertCore(s, tx);
            }

            tx.Commit();
        }
    }

    /// <summary>Removes the row of the segment at <paramref name="baseId"/>.</summary>
    public void Remove(long baseId)
    {
        _fileSystem.BeforeExternalWrite(Path);
        lock (_sync)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "DELETE FROM segments WHERE base_id = $b";
            cmd.Parameters.AddWithValue("$b", baseId);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Reads a value of the <c>meta</c> table.</summary>
    public string? GetMeta(string key)
    {
        lock (_sync)
        {
            return ReadMeta(_connection, key);
        }
    }

    /// <summary>Writes a value of the <c>meta</c> table.</summary>
    public void SetMeta(string key, string value)
    {
        _fileSystem.BeforeExternalWrite(Path);
        lock (_sync)
        {
            WriteMeta(_connection, key, value);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_sync)
        {
            _connection.Dispose();
        }
    }

    private void UpsertCore(SegmentInfo s, SqliteTransaction? tx)
    {
        using var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT OR REPLACE INTO segments (base_id, last_id, record_count, status, size_bytes, created_at, sealed_at, first_ts, last_ts,
                data_checksum, file_checksum, writer_epoch, file_name, archive_key, archived_size, archived_checksum)
            VALUES ($base, $last, $count, $status, $size, $created, $sealed, $fts, $lts, $dck, $fck, $epoch, $name, $key, $asize, $ack)
            """;
        cmd.Parameters.AddWithValue("$base", s.BaseId);
        cmd.Parameters.AddWithValue("$last", s.LastId);
        cmd.Parameters.AddWithValue("$count", s.RecordCount);
        cmd.Parameters.AddWithValue("$status", (int)s.Status);
        cmd.Parameters.AddWithValue("$size", s.SizeBytes);
        cmd.Parameters.AddWithValue("$created", Format.SegmentFormat.ToUnixMicroseconds(s.CreatedAt));
        cmd.Parameters.AddWithValue("$sealed", s.SealedAt is { } sealedAt ? Format.SegmentFormat.ToUnixMicroseconds(sealedAt) : DBNull.Value);
        cmd.Parameters.AddWithValue("$fts", s.FirstTimestampMicros);
        cmd.Parameters.AddWithValue("$lts", s.LastTimestampMicros);
        cmd.Parameters.AddWithValue("$dck", (long)s.DataChecksum);
        cmd.Parameters.AddWithValue("$fck", (long)s.FileChecksum);
        cmd.Parameters.AddWithValue("$epoch", s.WriterEpoch);
        cmd.Parameters.AddWithValue("$name", s.FileName);
        cmd.Parameters.AddWithValue("$key", (object?)s.ArchiveKey ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$asize", s.ArchivedSizeBytes);
        cmd.Parameters.AddWithValue("$ack", (long)s.ArchivedChecksum);
        cmd.ExecuteNonQuery();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static string? ReadMeta(SqliteConnection connection, string key)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
        return cmd.ExecuteScalar() as string;
    }

    private static void WriteMeta(SqliteConnection connection, string key, string value)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT OR REPLACE INTO meta (key, value) VALUES ($k, $v)";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", value);
        cmd.ExecuteNonQuery();
    }
}
