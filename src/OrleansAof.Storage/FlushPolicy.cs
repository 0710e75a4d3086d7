using System.Globalization;

namespace OrleansAof.Storage;

/// <summary>
/// When appended records are made durable. See docs/durability.md for the loss window of each policy.
/// The text form (<see cref="ToString"/>, <see cref="Parse"/>) is <c>Sync</c>, <c>Batched:1000</c>, <c>Periodic:00:00:00.010</c>,
/// <c>BatchedOrPeriodic:1000:00:00:00.010</c> or <c>Async</c>.
/// </summary>
public sealed record FlushPolicy
{
    private FlushPolicy(FlushPolicyKind kind, int records, TimeSpan interval)
    {
        Kind = kind;
        Records = records;
        Interval = interval;
    }

    /// <summary>The kind of policy.</summary>
    public FlushPolicyKind Kind { get; }

    /// <summary>For <see cref="FlushPolicyKind.Batched"/> and <see cref="FlushPolicyKind.BatchedOrPeriodic"/>: the record count that triggers a flush.</summary>
    public int Records { get; }

    /// <summary>For <see cref="FlushPolicyKind.Periodic"/> and <see cref="FlushPolicyKind.BatchedOrPeriodic"/>: the flush interval.</summary>
    public TimeSpan Interval { get; }

    /// <summary>Acknowledge after fsync, with group commit.</summary>
    public static FlushPolicy Sync { get; } = new(FlushPolicyKind.Sync, 0, TimeSpan.Zero);

    /// <summary>Fsync only at seal or on an explicit flush.</summary>
    public static FlushPolicy Async { get; } = new(FlushPolicyKind.Async, 0, TimeSpan.Zero);

    /// <summary>Whether appends wait for their fsync under this policy.</summary>
    public bool WaitsForDurability => Kind == FlushPolicyKind.Sync;

    /// <summary>Fsync after every <paramref name="records"/> records.</summary>
    public static FlushPolicy Batched(int records)
    {
        ValidateRecords(records);
        return new(FlushPolicyKind.Batched, records, TimeSpan.Zero);
    }

    /// <summary>Fsync every <paramref name="interval"/>.</summary>
    public static FlushPolicy Periodic(TimeSpan interval)
    {
        ValidateInterval(interval);
        return new(FlushPolicyKind.Periodic, 0, interval);
    }

    /// <summary>Fsync at <paramref name="records"/> records or after <paramref name="interval"/>, whichever comes first.</summary>
    public static FlushPolicy BatchedOrPeriodic(int records, TimeSpan interval)
    {
        ValidateRecords(records);
        ValidateInterval(interval);
        return new(FlushPolicyKind.BatchedOrPeriodic, records, interval);
    }

    /// <summary>Parses the text form; throws <see cref="FormatException"/> with the accepted forms on bad input.</summary>
    public static FlushPolicy Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split(':', 2);
        try
        {
            switch (parts[0].Trim().ToUpperInvariant())
            {
                case "SYNC" when parts.Length == 1:
                    return Sync;
                case "ASYNC" when parts.Length == 1:
                    return Async;
                case "BATCHED" when parts.Length == 2:
                    return Batched(int.Parse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture));
                case "PERIODIC" when parts.Length == 2:
                    return Periodic(TimeSpan.Parse(parts[1], CultureInfo.InvariantCulture));
                case "BATCHEDORPERIODIC" when parts.Length == 2:
                    var rest = parts[1].Split(':', 2);
                    if (rest.Length == 2)
                    {
                        return BatchedOrPeriodic(int.Parse(rest[0], NumberStyles.None, CultureInfo.InvariantCulture), TimeSpan.Parse(rest[1], CultureInfo.InvariantCulture));
                    }

                    break;
            }
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentOutOfRangeException)
        {
            throw new FormatException($"'{text}' is not a flush policy: {e.Message} Use Sync, Async, Batched:N, Periodic:hh:mm:ss.fff or BatchedOrPeriodic:N:hh:mm:ss.fff.", e);
        }

        throw new FormatException($"'{text}' is not a flush policy. Use Sync, Async, Batched:N, Periodic:hh:mm:ss.fff or BatchedOrPeriodic:N:hh:mm:ss.fff.");
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        FlushPolicyKind.Batched => FormattableString.Invariant($"Batched:{Records}"),
        FlushPolicyKind.Periodic => FormattableString.Invariant($"Periodic:{Interval:c}"),
        FlushPolicyKind.BatchedOrPeriodic => FormattableString.Invariant($"BatchedOrPeriodic:{Records}:{Interval:c}"),
        _ => Kind.ToString(),
    };

    private static void ValidateRecords(int records)
    {
        if (records < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(records), records, "The record count of a batched flush policy must be at least 1.");
        }
    }

    private static void ValidateInterval(TimeSpan interval)
    {
        if (interval < TimeSpan.FromMilliseconds(1) || interval > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "The interval of a periodic flush policy must be between 1 ms and 1 hour.");
        }
    }
}
