namespace OrleansAof.Storage;

/// <summary>What an append does when <see cref="PartitionLogOptions.MaxUnflushedBytes"/> is reached.</summary>
public enum BackpressureMode
{
    /// <summary>Fail at once with <see cref="LogBackpressureException"/> (a flush is started).</summary>
    FailFast,

    /// <summary>Wait for the flush that makes room (bounded by the caller's cancellation token).</summary>
    Wait,
}
