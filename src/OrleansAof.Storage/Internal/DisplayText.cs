using System.Globalization;
using System.Text;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// Names from callers, fit for messages and log lines: quoted, cut to <see cref="MaxLength"/> characters with the full
/// length noted, control characters escaped (the same rendering as <c>OrleansAof.PartitionKey.ForDisplay</c>, which
/// the engine cannot reference).
/// </summary>
internal static class DisplayText
{
    public const int MaxLength = 128;

    public static string Shorten(string? text) => text is null ? "" : text.Length > MaxLength ? text[..MaxLength] : text;

    public static string Quote(string? text)
    {
        if (text is null)
        {
            return "(null)";
        }

        var shown = Shorten(text);
        var builder = new StringBuilder(shown.Length + 16).Append('\'');
        foreach (var c in shown)
        {
            if (c is '\\' or '\'')
            {
                builder.Append('\\').Append(c);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029')
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        builder.Append('\'');
        if (text.Length > MaxLength)
        {
            builder.Append("... (").Append(text.Length.ToString(CultureInfo.InvariantCulture)).Append(" characters)");
        }

        return builder.ToString();
    }
}
