using System.Globalization;
using System.Text;

namespace OrleansAof.Cli.Cluster;

/// <summary>How record payloads are printed.</summary>
internal enum PayloadFormat
{
    /// <summary>UTF-8 text as is (bytes that are not valid UTF-8 become U+FFFD: use base64 or hex for exact bytes).</summary>
    Text,

    /// <summary>Base64 (RFC 4648): exact bytes.</summary>
    Base64,

    /// <summary>Lowercase hex: exact bytes.</summary>
    Hex,
}

/// <summary>One record as <c>read</c> and <c>tail</c> print it.</summary>
/// <param name="Id">The record id.</param>
/// <param name="Timestamp">Its append time (UTC, microseconds).</param>
/// <param name="Size">Payload size in bytes.</param>
/// <param name="Payload">The payload in the chosen <see cref="PayloadFormat"/>.</param>
internal sealed record RecordDocument(long Id, DateTimeOffset Timestamp, int Size, string Payload)
{
    /// <summary>The document of <paramref name="record"/>.</summary>
    public static RecordDocument From(LogRecord record, PayloadFormat format) =>
        new(record.Id, record.Timestamp, record.Payload.Length, Records.Format(record.Payload.Span, format));

    /// <summary>The human line: id, time and payload separated by tabs.</summary>
    public string ToLine() => string.Concat(
        Id.ToString(CultureInfo.InvariantCulture), "\t", Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture), "\t", Payload);
}

/// <summary>The JSON document of <c>read</c>, and of <c>tail</c> without <c>-f</c>.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="Format">How payloads are encoded.</param>
/// <param name="Backward">Whether the records are newest first.</param>
/// <param name="Records">The records in the order read.</param>
/// <param name="NextId">Where to continue: forward, the id after the last record; backward, the id below it (-1 at the start of the log).</param>
internal sealed record RecordsDocument(string Log, string Partition, PayloadFormat Format, bool Backward, IReadOnlyList<RecordDocument> Records, long NextId);

/// <summary>Payload formatting.</summary>
internal static class Records
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static string Format(ReadOnlySpan<byte> payload, PayloadFormat format) => format switch
    {
        PayloadFormat.Base64 => Convert.ToBase64String(payload),
        PayloadFormat.Hex => Convert.ToHexStringLower(payload),
        _ => Utf8.GetString(payload),
    };
}
