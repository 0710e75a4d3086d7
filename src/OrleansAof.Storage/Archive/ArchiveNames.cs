namespace OrleansAof.Storage.Archive;

/// <summary>
/// Checks the parts of an <see cref="ArchiveObjectKey"/> before an archive turns them into a path or an object key:
/// each part must follow the one rule for log and partition names (1 to 128 characters of <c>[A-Za-z0-9._-]</c>, not
/// <c>.</c> or <c>..</c>), so a key can never leave the archive's root or prefix. A file name must not start with a dot (archives keep their own
/// temporary and metadata files under such names).
/// </summary>
public static class ArchiveNames
{
    /// <summary>The longest name accepted for a log, a partition or a file.</summary>
    public const int MaxLength = PartitionNames.MaxLength;

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
            throw new InvalidPartitionNameException(name ?? "", $"{reason} (the {what})");
        }
    }

    private static string? Reason(string? name) => PartitionNames.Check(name);
}
