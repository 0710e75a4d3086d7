namespace OrleansAof.Streams;

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
