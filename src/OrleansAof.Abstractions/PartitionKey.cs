namespace OrleansAof;

/// <summary>
/// The key of a partition grain: <c>{log}/{partition}</c>. Log and partition names are 1 to 128 characters of
/// <c>[A-Za-z0-9._-]</c> and neither "." nor ".." (the same rule the storage engine applies to directory names).
/// </summary>
public static class PartitionKey
{
    /// <summary>The separator between the log and the partition name.</summary>
    public const char Separator = '/';

    /// <summary>Builds the grain key of <paramref name="log"/>/<paramref name="partition"/>, validating both names.</summary>
    /// <exception cref="InvalidPartitionNameException">A name is invalid.</exception>
    public static string Format(string log, string partition)
    {
        Validate(log);
        Validate(partition);
        return string.Concat(log, "/", partition);
    }

    /// <summary>Splits a grain key into its log and partition names, validating both.</summary>
    /// <exception cref="InvalidPartitionNameException">The key is not <c>{log}/{partition}</c> with valid names.</exception>
    public static (string Log, string Partition) Parse(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var slash = key.IndexOf(Separator, StringComparison.Ordinal);
        if (slash < 0)
        {
            throw new InvalidPartitionNameException(key, "a partition key has the form '{log}/{partition}'");
        }

        var log = key[..slash];
        var partition = key[(slash + 1)..];
        Validate(log);
        Validate(partition);
        return (log, partition);
    }

    /// <summary>How many characters of a name <see cref="ForDisplay"/> and <see cref="Shorten"/> keep.</summary>
    public const int MaxDisplayLength = 128;

    /// <summary>
    /// <paramref name="text"/> (a name from a caller, valid or not) fit for an error message or a log line: quoted, cut to
    /// <see cref="MaxDisplayLength"/> characters with its full length noted, and every control character (and the quote
    /// and backslash) escaped, so a hostile name can neither bloat a message nor forge log lines.
    /// </summary>
    public static string ForDisplay(string? text)
    {
        if (text is null)
        {
            return "(null)";
        }

        var shown = text.Length > MaxDisplayLength ? text[..MaxDisplayLength] : text;
        var builder = new System.Text.StringBuilder(shown.Length + 16).Append('\'');
        foreach (var c in shown)
        {
            if (c is '\\' or '\'')
            {
                builder.Append('\\').Append(c);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029')
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        builder.Append('\'');
        if (text.Length > MaxDisplayLength)
        {
            builder.Append("... (").Append(text.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(" characters)");
        }

        return builder.ToString();
    }

    /// <summary><paramref name="text"/> cut to <see cref="MaxDisplayLength"/> characters (null becomes empty).</summary>
    public static string Shorten(string? text) => text is null ? "" : text.Length > MaxDisplayLength ? text[..MaxDisplayLength] : text;

    /// <summary>Throws <see cref="InvalidPartitionNameException"/> when <paramref name="name"/> is not a valid log or partition name.</summary>
    public static void Validate(string name)
    {
        if (Check(name) is { } reason)
        {
            throw new InvalidPartitionNameException(name ?? "", reason);
        }
    }

    /// <summary>Whether <paramref name="name"/> is a valid log or partition name.</summary>
    public static bool IsValid(string name) => Check(name) is null;

    private static string? Check(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "it is empty";
        }

        if (name.Length > 128)
        {
            return "it is longer than 128 characters";
        }

        if (name is "." or "..")
        {
            return "it would leave the data root";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return $"the character {ForDisplay(c.ToString())} is not allowed (use A-Z, a-z, 0-9, '.', '_' and '-')";
            }
        }

        return null;
    }
}
