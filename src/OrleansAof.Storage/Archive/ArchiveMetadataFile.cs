using System.Globalization;
using System.Text;
using OrleansAof.Storage.Format;

namespace OrleansAof.Storage.Archive;

/// <summary>
/// The sidecar file that the file-system archive keeps beside each object (<c>{fileName}.aofmeta</c>): the object's
/// metadata (<see cref="ArchiveBlobInfo.Metadata"/>) as UTF-8 text, one <c>name: value</c> per line so an operator can
/// read it, the last line the CRC-32C of every byte before it. The first line carries <c>aof-format</c> under the name
/// <c>aof-archive-object</c>; the other metadata names are written without their <c>aof-</c> prefix:
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
    private const string FormatName = "aof-format";
    private const string FormatLine = "aof-archive-object";
    private const string NamePrefix = "aof-";
    private const int MaxSize = 4096;

    public static byte[] Serialize(string key, IReadOnlyList<KeyValuePair<string, string>> metadata, DateTimeOffset storedAt)
    {
        var format = metadata.FirstOrDefault(m => m.Key == FormatName).Value
            ?? throw new ArgumentException($"The metadata has no '{FormatName}'.", nameof(metadata));
        var body = new StringBuilder();
        AppendLine(body, FormatLine, format);
        AppendLine(body, "key", key);
        foreach (var (name, value) in metadata)
        {
            if (name == FormatName)
            {
                continue;
            }

            if (!name.StartsWith(NamePrefix, StringComparison.Ordinal) || value.Contains('\n', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Metadata '{name}' cannot be kept in a sidecar: names start with '{NamePrefix}', values are one line.", nameof(metadata));
            }

            AppendLine(body, name[NamePrefix.Length..], value);
        }

        AppendLine(body, "stored-at", storedAt.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture));
        var bodyBytes = Encoding.UTF8.GetBytes(body.ToString());
        var crc = Crc32C.Compute(bodyBytes);
        var trailer = Encoding.UTF8.GetBytes($"crc32c: {crc.ToString("x8", CultureInfo.InvariantCulture)}\n");
        return [.. bodyBytes, .. trailer];
    }

    /// <summary>Parses a sidecar; throws <see cref="ArchiveIntegrityException"/> when it is damaged or does not belong to <paramref name="key"/>.</summary>
    public static (Dictionary<string, string> Metadata, DateTimeOffset StoredAt) Parse(string key, ReadOnlySpan<byte> bytes)
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
        if (lines.Length < 3 || !lines[0].StartsWith(FormatLine + ": ", StringComparison.Ordinal))
        {
            throw Damaged(key, "its metadata file has an unknown version or layout");
        }

        var storedKey = Value(key, lines[1], "key");
        if (storedKey != key)
        {
            throw Damaged(key, $"its metadata file belongs to '{storedKey}'");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [FormatName] = Value(key, lines[0], FormatLine) };
        for (var i = 2; i < lines.Length - 1; i++)
        {
            var colon = lines[i].IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw Damaged(key, $"its metadata file has an invalid line '{lines[i]}'");
            }

            metadata[NamePrefix + lines[i][..colon]] = lines[i][(colon + 2)..];
        }

        if (!DateTimeOffset.TryParseExact(Value(key, lines[^1], "stored-at"), "o", CultureInfo.InvariantCulture, DateTimeStyles.None, out var storedAt))
        {
            throw Damaged(key, "its metadata file has an invalid time");
        }

        return (metadata, storedAt);
    }

    private static void AppendLine(StringBuilder builder, string name, string value) => builder.Append(name).Append(": ").Append(value).Append('\n');

    private static string Value(string key, string line, string name)
    {
        var prefix = name + ": ";
        if (!line.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw Damaged(key, $"its metadata file lacks '{name}'");
        }

        return line[prefix.Length..];
    }

    private static ArchiveIntegrityException Damaged(string key, string detail) => new(key, detail);
}
