using System.Globalization;
using System.Text;
using OrleansAof.Storage.Format;

namespace OrleansAof.Storage.Archive;

/// <summary>
/// The sidecar file that <see cref="FileSystemArchive"/> keeps beside each object (<c>{fileName}.aofmeta</c>). UTF-8
/// text, one <c>name: value</c> per line, so an operator can read it; the last line is the CRC-32C of every byte
/// before it:
/// <code>
/// aof-archive-object: 1
/// key: {log}/{partition}/{fileName}
/// original-size: 1048576
/// original-crc32c: 0a1b2c3d
/// stored-size: 1048576
/// stored-crc32c: 0a1b2c3d
/// compression: none
/// stored-at: 2026-01-02T03:04:05.6780000+00:00
/// crc32c: 89abcdef
/// </code>
/// Checksums are 8 lower-case hex digits; sizes are decimal; the time is ISO 8601 round-trip ("o").
/// </summary>
internal static class ArchiveMetadataFile
{
    public const int Version = 1;
    private const string VersionLine = "aof-archive-object: 1";
    private const int MaxSize = 4096;

    public static byte[] Serialize(ArchivedObjectInfo info)
    {
        var body = new StringBuilder();
        body.Append(VersionLine).Append('\n');
        AppendLine(body, "key", info.Key.RelativeKey);
        AppendLine(body, "original-size", info.Original.Size.ToString(CultureInfo.InvariantCulture));
        AppendLine(body, "original-crc32c", info.Original.Checksum.ToString("x8", CultureInfo.InvariantCulture));
        AppendLine(body, "stored-size", info.StoredSize.ToString(CultureInfo.InvariantCulture));
        AppendLine(body, "stored-crc32c", info.StoredChecksum.ToString("x8", CultureInfo.InvariantCulture));
        AppendLine(body, "compression", info.Compression);
        AppendLine(body, "stored-at", info.LastModified.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture));
        var bodyBytes = Encoding.UTF8.GetBytes(body.ToString());
        var crc = Crc32C.Compute(bodyBytes);
        var trailer = Encoding.UTF8.GetBytes($"crc32c: {crc.ToString("x8", CultureInfo.InvariantCulture)}\n");
        return [.. bodyBytes, .. trailer];
    }

    /// <summary>Parses a sidecar; throws <see cref="ArchiveIntegrityException"/> when it is damaged or does not belong to <paramref name="key"/>.</summary>
    public static ArchivedObjectInfo Parse(ArchiveObjectKey key, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length is 0 or > MaxSize)
        {
            throw Damaged(key, $"its metadata file has {bytes.Length} bytes");
        }

        var lastLineStart = bytes[..^1].LastIndexOf((byte)'\n') + 1;
        if (bytes[^1] != (byte)'\n' || lastLineStart == 0)
        {
            throw Damaged(key, "its metadata file is truncated");
        }

        var body = bytes[..lastLineStart];
        var trailer = Encoding.UTF8.GetString(bytes[lastLineStart..^1]);
        if (!trailer.StartsWith("crc32c: ", StringComparison.Ordinal)
            || !uint.TryParse(trailer.AsSpan(8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var expectedCrc)
            || trailer.Length != 16)
        {
            throw Damaged(key, "its metadata file has no checksum line");
        }

        var actualCrc = Crc32C.Compute(body);
        if (actualCrc != expectedCrc)
        {
            throw Damaged(key, $"its metadata file fails its checksum (recorded {expectedCrc:x8}, computed {actualCrc:x8})");
        }

        var lines = Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length != 8 || lines[0] != VersionLine)
        {
            throw Damaged(key, "its metadata file has an unknown version or layout");
        }

        var storedKey = Value(key, lines[1], "key");
        if (storedKey != key.RelativeKey)
        {
            throw Damaged(key, $"its metadata file belongs to '{storedKey}'");
        }

        var originalSize = ParseSize(key, Value(key, lines[2], "original-size"));
        var originalCrc = ParseCrc(key, Value(key, lines[3], "original-crc32c"));
        var storedSize = ParseSize(key, Value(key, lines[4], "stored-size"));
        var storedCrc = ParseCrc(key, Value(key, lines[5], "stored-crc32c"));
        var compression = Value(key, lines[6], "compression");
        if (!DateTimeOffset.TryParseExact(Value(key, lines[7], "stored-at"), "o", CultureInfo.InvariantCulture, DateTimeStyles.None, out var storedAt))
        {
            throw Damaged(key, "its metadata file has an invalid time");
        }

        return new ArchivedObjectInfo(key, new SegmentFileFacts(originalSize, originalCrc), storedSize, storedCrc, compression, storedAt);
    }

    private static void AppendLine(StringBuilder builder, string name, string value) => builder.Append(name).Append(": ").Append(value).Append('\n');

    private static string Value(ArchiveObjectKey key, string line, string name)
    {
        var prefix = name + ": ";
        if (!line.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw Damaged(key, $"its metadata file lacks '{name}'");
        }

        return line[prefix.Length..];
    }

    private static long ParseSize(ArchiveObjectKey key, string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Damaged(key, $"its metadata file has an invalid size '{text}'");

    private static uint ParseCrc(ArchiveObjectKey key, string text) =>
        text.Length == 8 && uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Damaged(key, $"its metadata file has an invalid checksum '{text}'");

    private static ArchiveIntegrityException Damaged(ArchiveObjectKey key, string detail) => new(key.RelativeKey, detail);
}
