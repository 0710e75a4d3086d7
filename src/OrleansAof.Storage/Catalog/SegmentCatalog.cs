using System.Globalization;
using Microsoft.Data.Sqlite;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Catalog;

/// <summary>
/// The per-partition segment catalog in SQLite (<c>catalog.db</c>). It is a cache of the truth held by the segment
/// files and the archive: when it is missing, unreadable or disagrees with them, the partition rebuilds it.
/// </summary>
/// <remarks>
/// Every row (and every <c>meta</c> value) carries its own CRC-32C over all of its fields, checked whenever it is read:
/// SQLite's integrity check covers the database's pages, not the values in them, so a flipped bit inside a row (a
/// segment's status, say) would otherwise pass unnoticed. A row that fails its checksum makes the catalog unreadable,
/// and the partition rebuilds it from the files and the archive. Schema 1 catalogs (no checksums) are migrated on open.
/// </remarks>
public sealed class SegmentCatalog : IDisposable
{
    /// <summary>Schema version stored in the <c>meta</c> table.</summary>
    public const int SchemaVersion = 2;

    private const string Columns = "base_id, last_id, record_count, status, size_bytes, created_at, sealed_at, first_ts, last_ts, data_checksum, file_checksum, writer_epoch, file_name, archive_key, archived_size, archived_checksum, row_crc";

    /// <summary>
    /// How long the connection stays open after its last use. An open SQLite connection holds about 175 KiB of page cache
    /// (its first allocation, made before any <c>cache_size</c> applies) and three file descriptors (<c>catalog.db</c>,
    /// <c>-wal</c>, <c>-shm</c>); a silo keeps thousands of partitions open, and their catalogs are used at open, seal,
    /// archival and eviction only. The idle close writes nothing (no checkpoint: the files stay as they are); the next
    /// use opens the connection again, and disposing the catalog checkpoints as before.
    /// </summary>
    internal static readonly TimeSpan IdleClose = TimeSpan.FromSeconds(2);

    private readonly Lock _sync = new();
    private readonly string _connectionString;
    private readonly bool _readOnly;
    private readonly IFileSystem _fileSystem;
    private readonly bool _checksums;
    private readonly ITimer _idleTimer;
    private SqliteConnection? _open;
    private bool _disposed;

    private SegmentCatalog(string path, SqliteConnection connection, IFileSystem fileSystem, bool readOnly, bool checksums = true)
    {
        Path = path;
        _connectionString = connection.ConnectionString;
        _readOnly = readOnly;
        _open = connection;
        _fileSystem = fileSystem;
        _checksums = checksums;
        _idleTimer = TimeProvider.System.CreateTimer(static s => ((SegmentCatalog)s!).CloseIdle(), this, IdleClose, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Whether the SQLite connection is open now (it closes after <see cref="IdleClose"/> without use).</summary>
    internal bool IsConnectionOpen
    {
        get
        {
            lock (_sync)
            {
                return _open is not null;
            }
        }
    }

    /// <summary>The connection, opened again when idle closing closed it; the idle timer restarts. Call under <see cref="_sync"/>.</summary>
    private SqliteConnection Connection
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_open is null)
            {
                var connection = new SqliteConnection(_connectionString);
                try
                {
                    connection.Open();
                    LimitMemory(connection);
                    if (!_readOnly)
                    {
                        Execute(connection, "PRAGMA synchronous = FULL;");
                    }
                }
                catch
                {
                    connection.Dispose();
                    throw;
                }

                _open = connection;
            }

            _idleTimer.Change(IdleClose, Timeout.InfiniteTimeSpan);
            return _open;
        }
    }

    private void CloseIdle()
    {
        try
        {
            lock (_sync)
            {
                if (_open is null || _disposed)
                {
                    return;
                }

                // Closed without a checkpoint: an idle close changes nothing on disk (the write-ahead log and its index
                // stay, and the next open reads them); the partition's own close checkpoints as before.
                if (_open.Handle is { } handle)
                {
                    _ = SQLitePCL.raw.sqlite3_db_config(handle, SQLitePCL.raw.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, out _);
                }

                _open.Dispose();
                _open = null;
            }
        }
        catch (Exception e) when (e is IOException or SqliteException or UnauthorizedAccessException)
        {
            // Left open; the next use or the partition's close tries again.
        }
    }

    /// <summary>Opens (creating when missing) the catalog at <paramref name="path"/>. Throws <see cref="SqliteException"/> when the file is not a usable catalog.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="fileSystem">
    /// The file system of the partition: SQLite writes the file itself, so every write of the catalog (this open and
    /// each mutating call) is announced to it first through <see cref="IFileSystem.BeforeExternalWrite"/>. The real one
    /// when <see langword="null"/>.
    /// </param>
    public static SegmentCatalog Open(string path, IFileSystem? fileSystem = null)
    {
        fileSystem ??= PhysicalFileSystem.Instance;
        fileSystem.BeforeExternalWrite(path);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadWriteCreate }.ToString());
        try
        {
            connection.Open();
            LimitMemory(connection);
            Execute(connection, """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                """);

            // One transaction (one fsync) creates a new catalog's tables and its schema version; an existing one is not written.
            string? version;
            using (var tx = connection.BeginTransaction())
            {
                Execute(connection, """
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL, crc INTEGER NOT NULL DEFAULT 0);
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
                    archived_checksum INTEGER NOT NULL,
                    row_crc INTEGER NOT NULL DEFAULT 0);
                """, tx);
                using (var read = connection.CreateCommand())
                {
                    read.Transaction = tx;
                    read.CommandText = "SELECT value FROM meta WHERE key = 'schema_version'";
                    version = read.ExecuteScalar() as string;
                }

                if (version is null)
                {
                    WriteMeta(connection, "schema_version", SchemaVersion.ToString(CultureInfo.InvariantCulture), tx);
                }

                tx.Commit();
            }

            if (version == "1")
            {
                MigrateFromVersion1(connection);
            }
            else if (version is not null && version != SchemaVersion.ToString(CultureInfo.InvariantCulture))
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

            // Every checksum is checked at open, so a damaged row is found before anything acts on it.
            _ = ReadRows(connection, checksums: true);
            foreach (var key in ReadMetaKeys(connection))
            {
                _ = ReadMeta(connection, key);
            }

            return new SegmentCatalog(path, connection, fileSystem, readOnly: false);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Keeps an open catalog's connection small: a silo keeps one per open partition, thousands of them. SQLite's
    /// lookaside allocator took about 48 KiB of every connection (measured with heaptrack over 300 open partitions);
    /// the catalog is not on the append path and does without it. Its page cache is capped at 16 pages (the catalog is
    /// a few pages), so a long-lived connection does not grow toward SQLite's default of 2 MiB.
    /// </summary>
    private static void LimitMemory(SqliteConnection connection)
    {
        // Lookaside can only be changed while the connection has none in use, which is right after the open.
        _ = SQLitePCL.raw.sqlite3_db_config(connection.Handle, SQLitePCL.raw.SQLITE_DBCONFIG_LOOKASIDE, IntPtr.Zero, 0, 0);
        Execute(connection, "PRAGMA cache_size = 16;");
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
            LimitMemory(connection);
            using var read = connection.CreateCommand();
            read.CommandText = "SELECT value FROM meta WHERE key = 'schema_version'";
            var version = read.ExecuteScalar() as string;
            return new SegmentCatalog(path, connection, PhysicalFileSystem.Instance, readOnly: true, checksums: version != "1");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes an empty catalog (write-ahead-log mode, current schema) at <paramref name="path"/>, which must not exist, with
    /// one write and one fsync: SQLite itself makes about seven fsyncs to create a database, switch it to WAL and create its
    /// tables. Leftover <c>-wal</c>, <c>-shm</c> and <c>-journal</c> files of an earlier catalog are deleted first, so none is
    /// applied to it. The caller makes the folder entry durable. A copy cut short by a crash is a catalog that does not open,
    /// which the next open rebuilds like any damaged catalog. Returns false, and writes nothing, when the empty catalog could
    /// not be made (no writable temporary folder): <see cref="Open"/> then creates it as SQLite does.
    /// </summary>
    public static bool CreateEmpty(string path, IFileSystem fileSystem)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        if (EmptyCatalog.Value is not { } bytes)
        {
            return false;
        }

        foreach (var suffix in (ReadOnlySpan<string>)["-wal", "-shm", "-journal"])
        {
            if (fileSystem.FileExists(path + suffix))
            {
                fileSystem.DeleteFile(path + suffix);
            }
        }

        using var file = fileSystem.OpenFile(path, FileMode.CreateNew, FileAccess.ReadWrite);
        file.Write(0, bytes);
        file.Flush(dataOnly: true);
        return true;
    }

    /// <summary>The bytes of an empty catalog, made once per process by SQLite in a temporary folder; null when that failed.</summary>
    private static readonly Lazy<byte[]?> EmptyCatalog = new(static () =>
    {
        var folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "aof-empty-catalog-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(folder);
            var path = System.IO.Path.Combine(folder, "catalog.db");
            using (Open(path, PhysicalFileSystem.Instance))
            {
                // Closing the only connection checkpoints the write-ahead log into the file and removes the log.
            }

            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException)
        {
            return null;
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left behind in the temporary folder.
            }
        }
    });

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
            return ReadRows(Connection, _checksums);
        }
    }

    private static List<SegmentInfo> ReadRows(SqliteConnection connection, bool checksums)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = checksums ? $"SELECT {Columns} FROM segments ORDER BY base_id" : $"SELECT {Columns[..Columns.LastIndexOf(',')]}, 0 FROM segments ORDER BY base_id";
        using var reader = cmd.ExecuteReader();
        var rows = new List<SegmentInfo>();
        while (reader.Read())
        {
            var row = new SegmentInfo(
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
                (uint)reader.GetInt64(15));
            var stored = (uint)reader.GetInt64(16);
            if (checksums && stored != RowChecksum(row))
            {
                throw new InvalidDataException($"catalog row {row.BaseId} fails its checksum");
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>Inserts or replaces the row of <paramref name="segment"/>.</summary>
    public void Upsert(SegmentInfo segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        _fileSystem.BeforeExternalWrite(Path);
        lock (_sync)
        {
            UpsertCore(Connection, segment, null);
        }
    }

    /// <summary>Replaces every row with <paramref name="segments"/> in one transaction.</summary>
    public void ReplaceAll(IEnumerable<SegmentInfo> segments) => ReplaceAll(segments, null, null);

    /// <summary>
    /// Like <see cref="ReplaceAll(IEnumerable{SegmentInfo})"/>, and sets the <c>meta</c> value <paramref name="metaKey"/> in
    /// the same transaction (one commit, one fsync), when it is not null.
    /// </summary>
    public void ReplaceAll(IEnumerable<SegmentInfo> segments, string? metaKey, string? metaValue)
    {
        ArgumentNullException.ThrowIfNull(segments);
        _fileSystem.BeforeExternalWrite(Path);
        lock (_sync)
        {
            using var tx = Connection.BeginTransaction();
            using (var del = Connection.CreateCommand())
            {
                del.Transaction = tx;
                del.CommandText = "DELETE FROM segments";
                del.ExecuteNonQuery();
            }

            foreach (var s in segments)
            {
                UpsertCore(Connection, s, tx);
            }

            if (metaKey is not null)
            {
                WriteMeta(Connection, metaKey, metaValue ?? throw new ArgumentNullException(nameof(metaValue)), tx);
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
            using var cmd = Connection.CreateCommand();
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
            if (!_checksums)
            {
                using var cmd = Connection.CreateCommand();
                cmd.CommandText = "SELECT value FROM meta WHERE key = $k";
                cmd.Parameters.AddWithValue("$k", key);
                return cmd.ExecuteScalar() as string;
            }

            return ReadMeta(Connection, key);
        }
    }

    /// <summary>Writes a value of the <c>meta</c> table.</summary>
    public void SetMeta(string key, string value)
    {
        _fileSystem.BeforeExternalWrite(Path);
        lock (_sync)
        {
            WriteMeta(Connection, key, value);
        }
    }

    /// <summary>Removes a value of the <c>meta</c> table (nothing when it is not there).</summary>
    public void RemoveMeta(string key)
    {
        lock (_sync)
        {
            _fileSystem.BeforeExternalWrite(Path);
            using var cmd = Connection.CreateCommand();
            cmd.CommandText = "DELETE FROM meta WHERE key = $k";
            cmd.Parameters.AddWithValue("$k", key);
            cmd.ExecuteNonQuery();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _idleTimer.Dispose();
        lock (_sync)
        {
            if (_open is null && !_readOnly && !_disposed)
            {
                // Closed while idle, without a checkpoint: open it once more so that closing it checkpoints the
                // write-ahead log into the database file, as closing a partition always has.
                try
                {
                    _ = Connection;
                }
                catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
                {
                    // The catalog is a cache; the next open checks it and rebuilds it if need be.
                }
            }

            _disposed = true;
            _open?.Dispose();
            _open = null;
        }
    }

    private static void UpsertCore(SqliteConnection connection, SegmentInfo s, SqliteTransaction? tx)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT OR REPLACE INTO segments (base_id, last_id, record_count, status, size_bytes, created_at, sealed_at, first_ts, last_ts,
                data_checksum, file_checksum, writer_epoch, file_name, archive_key, archived_size, archived_checksum, row_crc)
            VALUES ($base, $last, $count, $status, $size, $created, $sealed, $fts, $lts, $dck, $fck, $epoch, $name, $key, $asize, $ack, $crc)
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
        cmd.Parameters.AddWithValue("$crc", (long)RowChecksum(s));
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// The CRC-32C of every field of a row, in a fixed little-endian layout (the timestamps as stored, in microseconds;
    /// strings as UTF-8 with their length; a missing value as a distinct marker).
    /// </summary>
    internal static uint RowChecksum(SegmentInfo s)
    {
        var name = System.Text.Encoding.UTF8.GetBytes(s.FileName);
        var key = s.ArchiveKey is null ? null : System.Text.Encoding.UTF8.GetBytes(s.ArchiveKey);
        var buffer = new byte[(12 * 8) + 4 + name.Length + 4 + (key?.Length ?? 0)];
        var span = buffer.AsSpan();
        var pos = 0;
        void Long(Span<byte> b, long v)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(b[pos..], v);
            pos += 8;
        }

        Long(span, s.BaseId);
        Long(span, s.LastId);
        Long(span, s.RecordCount);
        Long(span, (long)s.Status);
        Long(span, s.SizeBytes);
        Long(span, Format.SegmentFormat.ToUnixMicroseconds(s.CreatedAt));
        Long(span, s.SealedAt is { } sealedAt ? Format.SegmentFormat.ToUnixMicroseconds(sealedAt) : long.MinValue);
        Long(span, s.FirstTimestampMicros);
        Long(span, s.LastTimestampMicros);
        Long(span, ((long)s.DataChecksum << 32) | s.FileChecksum);
        Long(span, s.WriterEpoch);
        Long(span, ((long)s.ArchivedChecksum << 32) ^ s.ArchivedSizeBytes);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[pos..], name.Length);
        pos += 4;
        name.CopyTo(span[pos..]);
        pos += name.Length;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[pos..], key?.Length ?? -1);
        pos += 4;
        key?.CopyTo(span[pos..]);
        return Format.Crc32C.Compute(buffer);
    }

    private static uint MetaChecksum(string key, string value) => Format.Crc32C.Compute(System.Text.Encoding.UTF8.GetBytes(key + "\0" + value));

    /// <summary>Adds the checksums of schema 2 to a schema 1 catalog, in one transaction.</summary>
    private static void MigrateFromVersion1(SqliteConnection connection)
    {
        using var tx = connection.BeginTransaction();
        var hasRowCrc = false;
        var hasMetaCrc = false;
        using (var info = connection.CreateCommand())
        {
            info.Transaction = tx;
            info.CommandText = "SELECT name FROM pragma_table_info('segments') UNION ALL SELECT 'meta.' || name FROM pragma_table_info('meta')";
            using var reader = info.ExecuteReader();
            while (reader.Read())
            {
                hasRowCrc |= reader.GetString(0) == "row_crc";
                hasMetaCrc |= reader.GetString(0) == "meta.crc";
            }
        }

        if (!hasRowCrc)
        {
            Execute(connection, "ALTER TABLE segments ADD COLUMN row_crc INTEGER NOT NULL DEFAULT 0", tx);
        }

        if (!hasMetaCrc)
        {
            Execute(connection, "ALTER TABLE meta ADD COLUMN crc INTEGER NOT NULL DEFAULT 0", tx);
        }

        var rows = new List<SegmentInfo>();
        using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = $"SELECT {Columns} FROM segments";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                rows.Add(new SegmentInfo(
                    reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), (SegmentStatus)reader.GetInt32(3), reader.GetInt64(4),
                    Format.SegmentFormat.FromUnixMicroseconds(reader.GetInt64(5)),
                    reader.IsDBNull(6) ? null : Format.SegmentFormat.FromUnixMicroseconds(reader.GetInt64(6)),
                    reader.GetInt64(7), reader.GetInt64(8), (uint)reader.GetInt64(9), (uint)reader.GetInt64(10), reader.GetInt64(11),
                    reader.GetString(12), reader.IsDBNull(13) ? null : reader.GetString(13), reader.GetInt64(14), (uint)reader.GetInt64(15)));
            }
        }

        foreach (var row in rows)
        {
            UpsertCore(connection, row, tx);
        }

        foreach (var key in ReadMetaKeys(connection, tx))
        {
            var value = ReadMetaUnchecked(connection, key, tx)!.Value.Value;
            WriteMeta(connection, key, key == "schema_version" ? SchemaVersion.ToString(CultureInfo.InvariantCulture) : value, tx);
        }

        tx.Commit();
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static List<string> ReadMetaKeys(SqliteConnection connection, SqliteTransaction? tx = null)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT key FROM meta";
        using var reader = cmd.ExecuteReader();
        var keys = new List<string>();
        while (reader.Read())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    /// <summary>A meta value and its stored checksum, not checked.</summary>
    private static (string Value, uint Crc)? ReadMetaUnchecked(SqliteConnection connection, string key, SqliteTransaction? tx = null)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT value, crc FROM meta WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
        using var reader = cmd.ExecuteReader();
        return reader.Read() ? (reader.GetString(0), (uint)reader.GetInt64(1)) : null;
    }

    private static string? ReadMeta(SqliteConnection connection, string key)
    {
        if (ReadMetaUnchecked(connection, key) is not { } stored)
        {
            return null;
        }

        if (stored.Crc != MetaChecksum(key, stored.Value))
        {
            throw new InvalidDataException($"catalog value '{key}' fails its checksum");
        }

        return stored.Value;
    }

    private static void WriteMeta(SqliteConnection connection, string key, string value, SqliteTransaction? tx = null)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT OR REPLACE INTO meta (key, value, crc) VALUES ($k, $v, $c)";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", value);
        cmd.Parameters.AddWithValue("$c", (long)MetaChecksum(key, value));
        cmd.ExecuteNonQuery();
    }
}
