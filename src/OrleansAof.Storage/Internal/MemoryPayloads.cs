namespace OrleansAof.Storage.Internal;

/// <summary>The payloads of a batch append (kept as memories so that an append can wait and retry).</summary>
internal readonly struct MemoryPayloads(ReadOnlyMemory<byte>[] payloads) : IPayloads
{
    public int Count => payloads.Length;

    public ReadOnlySpan<byte> Get(int index) => payloads[index].Span;
}
