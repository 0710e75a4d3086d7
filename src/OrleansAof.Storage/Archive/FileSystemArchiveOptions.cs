namespace OrleansAof.Storage.Archive;

/// <summary>Options of <see cref="FileSystemArchive"/>. Every value is checked by <see cref="Validate"/>.</summary>
public sealed class FileSystemArchiveOptions
{
    /// <summary>The archive's root folder: objects are stored at <c>{RootPath}/{log}/{partition}/{fileName}</c>. Required; an absolute path.</summary>
    public string RootPath { get; set; } = "";

    /// <summary>
    /// Whether the archive creates <see cref="RootPath"/> on first use when it does not exist. Default <see langword="true"/>.
    /// Set it to <see langword="false"/> for a mounted volume: then a root that is missing (an unmounted volume) fails every
    /// call with <see cref="ArchiveUnavailableException"/> (<see cref="ArchiveUnavailableReason.BucketMissing"/>) instead of
    /// archiving to the local disk underneath. Either way a root that disappears after first use is never created again.
    /// </summary>
    public bool CreateRootIfMissing { get; set; } = true;

    /// <summary>A copy of these options.</summary>
    public FileSystemArchiveOptions Clone() => (FileSystemArchiveOptions)MemberwiseClone();

    /// <summary>Throws <see cref="InvalidLogOptionsException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        const string name = nameof(FileSystemArchiveOptions) + "." + nameof(RootPath);
        if (string.IsNullOrWhiteSpace(RootPath))
        {
            throw new InvalidLogOptionsException(name, "is required.");
        }

        if (!Path.IsPathFullyQualified(RootPath))
        {
            throw new InvalidLogOptionsException(name, $"must be an absolute path; it is '{RootPath}'.");
        }

        if (RootPath.AsSpan().IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            throw new InvalidLogOptionsException(name, $"contains characters that are not valid in a path; it is '{RootPath}'.");
        }
    }
}
