namespace OrleansAof.Storage.Internal;

/// <summary>An append waiting behind a rollover; completed by the drainer with its result and its durability gate.</summary>
internal sealed class ParkedAppend(ReadOnlyMemory<byte>[] payloads, long expected, ProducerStamp? stamp, bool allowWait)
{
    public ReadOnlyMemory<byte>[] Payloads { get; } = payloads;

    public long Expected { get; } = expected;

    public ProducerStamp? Stamp { get; } = stamp;

    public bool AllowWait { get; } = allowWait;

    public TaskCompletionSource<(AppendResult Result, Task? Durable)> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
