using System.Globalization;

namespace OrleansAof.Cli.Cluster;

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
