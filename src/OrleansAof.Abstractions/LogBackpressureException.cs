namespace OrleansAof;

/// <summary>The partition refuses appends for now to bound memory or backlog. Nothing was written; retry after <see cref="RetryAfter"/>.</summary>
[GenerateSerializer]
[Alias("aof.LogBackpressureException")]
public sealed class LogBackpressureException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public LogBackpressureException(string reason, TimeSpan retryAfter, string message)
        : base(message)
    {
        Reason = reason;
        RetryAfter = retryAfter;
    }

    /// <summary>Which bound was hit (<c>UnflushedBytes</c> or <c>ArchiveBacklog</c>).</summary>
    [Id(0)]
    public string Reason { get; private set; }

    /// <summary>A suggested delay before retrying.</summary>
    [Id(1)]
    public TimeSpan RetryAfter { get; private set; }

    /// <inheritdoc />
    public override bool IsRetryable => true;
}
