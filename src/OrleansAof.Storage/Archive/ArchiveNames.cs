namespace OrleansAof.Storage.Archive;

/// <summary>
/// Checks the parts of an <see cref="ArchiveObjectKey"/> before an archive turns them into a path or an object key:
/// each part must be a plain name of <c>[A-Za-z0-9._-]</c>, at most 200 characters, not <c>.</c> or <c>..</c>, so a key
/// can never leave the archive's root or prefix. A file name must not start with a dot (archives keep their own
/// temporary and metadata files under such names).
/// </summary>
public static class ArchiveNames
{
    /// <summary>The longest name accepted for a log, a partition or a file.</summary>
    public const int MaxLength = 200;

    /// <summary>Throws <see cref="InvalidPartitionNameException"/> when a part of <paramref name="key"/> is not a valid name.</summary>
    public static void Validate(ArchiveObjectKey key)
    {
        ValidatePartition(key.Log, key.Partition);
        ValidateName(key.FileName, "file name");
        if (key.FileName[0] == '.')
        {
            throw new InvalidPartitionNameException(key.FileName, "an archived file name must not start with '.'");
        }
    }

    /// <summary>Throws <see cref="InvalidPartitionNameException"/> when <paramref name="log"/> or <paramref name="partition"/> is not a valid name.</summary>
    public static void ValidatePartition(string log, string partition)
    {
        ValidateName(log, "log name");
        ValidateName(partition, "partition name");
    }

    /// <summary>Whether <paramref name="name"/> is a valid part of a key (see <see cref="ArchiveNames"/>).</summary>
    public static bool IsValidName(string? name) => Reason(name) is null;

    private static void ValidateName(string? name, string what)
    {
        if (Reason(name) is { } reason)
        {
            throw new InvalidPartitionNameException(name ?? "", $"the {what} {reason}");
        }
    }

    private static string? Reason(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "is empty";
        }

        if (name.Length > MaxLength)
        {
            return $"is longer than {MaxLength} characters";
        }

        if (name is "." or "..")
        {
            return "would leave the archive root";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return "uses characters outside [A-Za-z0-9._-]";
            }
        }

        return null;
    }
}
