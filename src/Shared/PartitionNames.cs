// Compiled into OrleansAof.Abstractions and OrleansAof.Storage (linked from both project files): the engine must not
// reference Orleans and the client must not reference the engine, so the one rule for names lives in this one file.
using System.Globalization;
using System.Text;

namespace OrleansAof;

/// <summary>
/// The one rule for log and partition names, wherever they are checked (grain keys, partition directories, archive keys):
/// 1 to <see cref="MaxLength"/> characters of <c>[A-Za-z0-9._-]</c>, and neither <c>.</c> nor <c>..</c>, so a name can
/// never leave the data root or the archive's prefix. Also renders names from callers for messages.
/// </summary>
internal static class PartitionNames
{
    /// <summary>The longest valid log or partition name.</summary>
    public const int MaxLength = 128;

    /// <summary>How many characters of a name <see cref="Quote"/> and <see cref="Shorten"/> keep.</summary>
    public const int MaxDisplayLength = 128;

    /// <summary>Why <paramref name="name"/> is not a valid log or partition name, or <see langword="null"/> when it is.</summary>
    public static string? Check(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "it is empty";
        }

        if (name.Length > MaxLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"it is longer than {MaxLength} characters");
        }

        if (name is "." or "..")
        {
            return "it would leave the data root";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return $"the character {Quote(c.ToString())} is not allowed (use A-Z, a-z, 0-9, '.', '_' and '-')";
            }
        }

        return null;
    }

    /// <summary>
    /// <paramref name="text"/> (a name from a caller, valid or not) fit for an error message or a log line: quoted, cut to
    /// <see cref="MaxDisplayLength"/> characters with its full length noted, and every control character (and the quote
    /// and backslash) escaped, so a hostile name can neither bloat a message nor forge log lines.
    /// </summary>
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
        if (text.Length > MaxDisplayLength)
        {
            builder.Append("... (").Append(text.Length.ToString(CultureInfo.InvariantCulture)).Append(" characters)");
        }

        return builder.ToString();
    }

    /// <summary><paramref name="text"/> cut to <see cref="MaxDisplayLength"/> characters (null becomes empty).</summary>
    public static string Shorten(string? text) => text is null ? "" : text.Length > MaxDisplayLength ? text[..MaxDisplayLength] : text;
}
