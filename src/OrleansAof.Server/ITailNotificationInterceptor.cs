namespace OrleansAof.Server;

/// <summary>
/// The path every tail notification takes out of a partition grain. The default passes each notification on once;
/// tests replace it (register another implementation in the silo's services) to drop, duplicate or reorder
/// notifications and prove that subscribers only lose latency.
/// </summary>
public interface ITailNotificationInterceptor
{
    /// <summary>
    /// Called for every notification, once for the direct push to listeners and once for the stream (which is paced
    /// separately); <paramref name="deliver"/> sends one notification on that path. Call it zero or more times, with
    /// this notification or an earlier one.
    /// </summary>
    ValueTask OnPublishAsync(TailAdvanced notification, Func<TailAdvanced, ValueTask> deliver);
}
