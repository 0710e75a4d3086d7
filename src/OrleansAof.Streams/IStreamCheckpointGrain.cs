namespace OrleansAof.Streams;

/// <summary>The durable read position of one pulling agent: key <c>{provider}/{log}/{partition}</c>.</summary>
[Alias("aof.IStreamCheckpointGrain")]
public interface IStreamCheckpointGrain : IGrainWithStringKey
{
    /// <summary>The id to resume reading from (0 when none was written).</summary>
    [Alias("Get")]
    Task<long> GetAsync();

    /// <summary>Writes <paramref name="nextId"/> when it is ahead of the stored one; durable when it returns.</summary>
    [Alias("Set")]
    Task SetAsync(long nextId);
}
