namespace OrleansAof;

/// <summary>
/// A grain that follows one or more partitions from a durable checkpoint (implemented by the server's
/// <c>LogSubscriberGrain</c> base class).
/// </summary>
[Alias("aof.ILogSubscriber")]
public interface ILogSubscriber : ITailListener, IGrainWithStringKey
{
    /// <summary>
    /// Subscribes explicitly to <paramref name="log"/>/<paramref name="partition"/> from <paramref name="fromId"/>
    /// (ignored when the subscription already exists: the checkpoint wins).
    /// </summary>
    [Alias("Subscribe")]
    Task SubscribeAsync(string log, string partition, long fromId = 0);

    /// <summary>Ends an explicit subscription and forgets its checkpoint.</summary>
    [Alias("Unsubscribe")]
    Task UnsubscribeAsync(string log, string partition);

    /// <summary>The next id to process, by partition key.</summary>
    [Alias("GetCheckpoints")]
    Task<IReadOnlyDictionary<string, long>> GetCheckpointsAsync();
}
