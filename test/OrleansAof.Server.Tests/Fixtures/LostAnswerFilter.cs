namespace OrleansAof.Server.Tests.Fixtures;

/// <summary>
/// A client-side call filter that, once armed, lets appends to one partition through and then throws the
/// <see cref="TimeoutException"/> Orleans raises when an answer does not arrive: the append happened, the caller never
/// heard. Unarmed it does nothing.
/// </summary>
public sealed class LostAnswerFilter : IOutgoingGrainCallFilter
{
    private string? _partitionKey;
    private int _remaining;

    /// <summary>The answers of the next <paramref name="count"/> appends to <paramref name="partitionKey"/> are lost.</summary>
    public void LoseNextAppendAnswers(string partitionKey, int count)
    {
        Volatile.Write(ref _remaining, count);
        Volatile.Write(ref _partitionKey, partitionKey);
    }

    /// <summary>How many armed answers are still to be lost.</summary>
    public int Remaining => Math.Max(0, Volatile.Read(ref _remaining));

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        await context.Invoke();
        if (context.InterfaceMethod?.Name is nameof(IPartitionGrain.AppendAsync) or nameof(IPartitionGrain.AppendBatchAsync)
            && Volatile.Read(ref _partitionKey) is { } key
            && context.TargetId.Key.ToString() == key
            && Interlocked.Decrement(ref _remaining) >= 0)
        {
            throw new TimeoutException($"Response did not arrive on time for {key} (the test lost the answer).");
        }
    }
}
