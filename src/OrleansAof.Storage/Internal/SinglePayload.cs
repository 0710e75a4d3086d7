namespace OrleansAof.Storage.Internal;

/// <summary>The payload of a single-record append (a span: allocation-free on the hot path).</summary>
internal readonly ref struct SinglePayload(ReadOnlySpan<byte> payload) : IPayloads
{
    private readonly ReadOnlySpan<byte> _payload = payload;

    public int Count => 1;

    public ReadOnlySpan<byte> Get(int index) => _payload;
}
