namespace OrleansAof;

/// <summary>
/// The key of a partition grain: <c>{log}/{partition}</c>. Log and partition names are 1 to <see cref="MaxNameLength"/>
/// characters of <c>[A-Za-z0-9._-]</c> and neither "." nor ".." (the one rule, shared with the storage engine's partition
/// directories and archive keys); a name that breaks it is refused with <see cref="InvalidPartitionNameException"/>.
/// </summary>
public static class PartitionKey
{
    /// <summary>The separator between the log and the partition name.</summary>
    public const char Separator = '/';

    /// <summary>The longest valid log or partition name.</summary>
    public const int MaxNameLength = PartitionNames.MaxLength;

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
    public const int MaxDisplayLength = PartitionNames.MaxDisplayLength;

    /// <summary>
    /// <paramref name="text"/> (a name from a caller, valid or not) fit for an error message or a log line: quoted, cut to
    /// <see cref="MaxDisplayLength"/> characters with its full length noted, and every control character (and the quote
    /// and backslash) escaped, so a hostile name can neither bloat a message nor forge log lines.
    /// </summary>
    public static string ForDisplay(string? text) => PartitionNames.Quote(text);

    /// <summary><paramref name="text"/> cut to <see cref="MaxDisplayLength"/> characters (null becomes empty).</summary>
    public static string Shorten(string? text) => PartitionNames.Shorten(text);

    /// <summary>Throws <see cref="InvalidPartitionNameException"/> when <paramref name="name"/> is not a valid log or partition name.</summary>
    public static void Validate(string name)
    {
        if (PartitionNames.Check(name) is { } reason)
        {
            throw new InvalidPartitionNameException(name ?? "", reason);
        }
    }

    /// <summary>Whether <paramref name="name"/> is a valid log or partition name.</summary>
    public static bool IsValid(string name) => PartitionNames.Check(name) is null;
}
