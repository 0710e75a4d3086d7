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

/// <summary>Stored checkpoint of a pulling agent.</summary>
[GenerateSerializer]
[Alias("aof.StreamCheckpoint")]
public sealed class StreamCheckpoint
{
    /// <summary>The id to resume reading from.</summary>
    [Id(0)]
    public long NextId { get; set; }
}

internal sealed class StreamCheckpointGrain([PersistentState("checkpoint", AppendLogStreamOptions.CheckpointStorageName)] IPersistentState<StreamCheckpoint> state)
    : Grain, IStreamCheckpointGrain
{
    public Task<long> GetAsync() => Task.FromResult(state.State.NextId);

    public async Task SetAsync(long nextId)
    {
        if (nextId > state.State.NextId)
        {
            state.State.NextId = nextId;
            await state.WriteStateAsync();
        }
    }
}
