namespace OrleansAof.Storage.Archive;

/// <summary>How <see cref="ResilientSegmentArchive"/> retries transient faults. Every value is checked by <see cref="Validate"/>.</summary>
public sealed class ArchiveRetryOptions
{
    /// <summary>Attempts per call, the first one included (1 disables retries). Default 6; between 1 and 100.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>The median delay before the first retry; later delays grow exponentially, with jitter. Default 200 ms; positive.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>No delay between attempts is longer than this. Default 30 s; at least <see cref="BaseDelay"/>.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A copy of these options.</summary>
    public ArchiveRetryOptions Clone() => (ArchiveRetryOptions)MemberwiseClone();

    /// <summary>Throws <see cref="InvalidLogOptionsException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        const string prefix = nameof(ArchiveRetryOptions) + ".";
        if (MaxAttempts is < 1 or > 100)
        {
            throw new InvalidLogOptionsException(prefix + nameof(MaxAttempts), $"must be between 1 and 100; it is {MaxAttempts}.");
        }

        if (BaseDelay <= TimeSpan.Zero)
        {
            throw new InvalidLogOptionsException(prefix + nameof(BaseDelay), $"must be positive; it is {BaseDelay}.");
        }

        if (MaxDelay < BaseDelay || MaxDelay > TimeSpan.FromDays(1))
        {
            throw new InvalidLogOptionsException(prefix + nameof(MaxDelay), $"must be at least BaseDelay ({BaseDelay}) and at most one day; it is {MaxDelay}.");
        }
    }
}
