namespace OrleansAof.Storage.Internal;

/// <summary>The payloads of one append, without copying them: one span, or an array of memories.</summary>
internal interface IPayloads
{
    int Count { get; }

    ReadOnlySpan<byte> Get(int index);
}
