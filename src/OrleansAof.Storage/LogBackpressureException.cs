namespace OrleansAof.Storage;

/// <summary>The partition refuses appends for now to bound memory or backlog. Retry after <see cref="RetryAfter"/>; nothing was written.</summary>
/// <param name="reason">Which bound was hit.</param>
/// <param name="detail">What was reached, in words that name no option (the options are in <paramref name="bounds"/>).</param>
/// <param name="retryAfter">A suggested delay before retrying.</param>
/// <param name="bounds">The configured bounds that refused the append (none for <see cref="BackpressureReason.IdReservation"/>).</param>
public sealed class LogBackpressureException(BackpressureReason reason, string detail, TimeSpan retryAfter, params IReadOnlyList<BackpressureBound> bounds)
    : AppendLogException(FormattableString.Invariant($"Append refused by backpressure ({reason}): {detail}{DescribeBounds(bounds, nameof(PartitionLogOptions))} Retry after {retryAfter.TotalMilliseconds:0} ms."))
{
    /// <summary>Which bound was hit.</summary>
    public BackpressureReason Reason { get; } = reason;

    /// <summary>What was reached, in words that name no option.</summary>
    public string Detail { get; } = detail;

    /// <summary>The configured bounds that refused the append, with the names of their options.</summary>
    public IReadOnlyList<BackpressureBound> Bounds { get; } = bounds;

    /// <summary>
    /// " The bound is 100 bytes (Options.MaxX)." or " The bounds are ... and ...." for <paramref name="bounds"/>, naming each option
    /// as a property of <paramref name="optionsClass"/>; empty when there is none.
    /// </summary>
    public static string DescribeBounds(IReadOnlyList<BackpressureBound> bounds, string optionsClass)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        if (bounds.Count == 0)
        {
            return "";
        }

        var text = new System.Text.StringBuilder(bounds.Count == 1 ? " The bound is " : " The bounds are ");
        for (var i = 0; i < bounds.Count; i++)
        {
            text.Append(i == 0 ? "" : i == bounds.Count - 1 ? " and " : ", ")
                .Append(FormattableString.Invariant($"{bounds[i].Limit} {bounds[i].Unit} ({optionsClass}.{bounds[i].OptionName})"));
        }

        return text.Append('.').ToString();
    }

    /// <summary>A suggested delay before retrying.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <inheritdoc />
    public override bool IsRetryable => true;
}
