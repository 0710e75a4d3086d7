namespace OrleansAof.Server;

/// <summary>Settings of <see cref="LogSubscriberGrain{TModel}"/> on a silo.</summary>
public sealed class LogSubscriberOptions
{
    /// <summary>How often a subscriber re-checks the tail of each partition it follows (the safety net for lost notifications) and renews its direct registration. Default 5 s; at least 10 ms.</summary>
    public TimeSpan RecheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Records per read. Default 1,000.</summary>
    public int MaxRecordsPerRead { get; set; } = 1000;

    /// <summary>Payload bytes per read. Default 4 MiB.</summary>
    public long MaxBytesPerRead { get; set; } = 4L * 1024 * 1024;

    /// <summary>
    /// The state (checkpoints and model, always written together) is written at most once per interval while records
    /// flow, and at the end of the interval when records stopped; zero writes after every batch. After a crash a
    /// subscriber restarts from its last written state and folds the records after it again, so the interval costs
    /// replay, never consistency. The state is also written at deactivation. Default 100 ms.
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The stream provider to subscribe on; empty: direct notifications and the timer only. Default <see cref="AppendLogStreams.DefaultProviderName"/>.</summary>
    public string? StreamProvider { get; set; } = AppendLogStreams.DefaultProviderName;
}
