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
                return $"the character '{c}' is not allowed (use A-Z, a-z, 0-9, '.', '_' and '-')";
            }
        }

        return null;
    }
}
