namespace OrleansAof;

/// <summary>
/// Payloads of an append batch laid back to back in one buffer: record <c>i</c> is <see cref="Lengths"/>[i] bytes
/// following record <c>i - 1</c>. The buffer crosses the wire as one array and is handed to the engine without copies.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("aof.RecordPayloads")]
public sealed class RecordPayloads
{
    /// <summary>Creates a batch over <paramref name="buffer"/>; the lengths must add up to at most its size.</summary>
    /// <exception cref="ArgumentException">The lengths are negative or exceed the buffer.</exception>
    public RecordPayloads(byte[] buffer, int[] lengths)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(lengths);
        long total = 0;
        foreach (var length in lengths)
        {
            if (length < 0)
            {
                throw new ArgumentException("A record length cannot be negative.", nameof(lengths));
            }

            total += length;
        }

        if (total > buffer.Length)
        {
            throw new ArgumentException($"The lengths add up to {total} bytes but the buffer holds {buffer.Length}.", nameof(lengths));
        }

        Buffer = buffer;
        Lengths = lengths;
    }

    /// <summary>The payload bytes, back to back.</summary>
    [Id(0)]
    public byte[] Buffer { get; }

    /// <summary>The length of each record's payload, in order.</summary>
    [Id(1)]
    public int[] Lengths { get; }

    /// <summary>Number of records.</summary>
    public int Count => Lengths.Length;

    /// <summary>Copies <paramref name="payloads"/> into one buffer.</summary>
    public static RecordPayloads From(IReadOnlyList<ReadOnlyMemory<byte>> payloads)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        long total = 0;
        for (var i = 0; i < payloads.Count; i++)
        {
            total += payloads[i].Length;
        }

        var buffer = new byte[total];
        var lengths = new int[payloads.Count];
        var offset = 0;
        for (var i = 0; i < payloads.Count; i++)
        {
            payloads[i].Span.CopyTo(buffer.AsSpan(offset));
            lengths[i] = payloads[i].Length;
            offset += lengths[i];
        }

        return new RecordPayloads(buffer, lengths);
    }

    /// <summary>Copies <paramref name="payloads"/> into one buffer.</summary>
    public static RecordPayloads From(params byte[][] payloads)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        var list = new ReadOnlyMemory<byte>[payloads.Length];
        for (var i = 0; i < payloads.Length; i++)
        {
            list[i] = payloads[i];
        }

        return From(list);
    }

    /// <summary>The payloads as slices of <see cref="Buffer"/> (no copies).</summary>
    public ReadOnlyMemory<byte>[] Slices()
    {
        var slices = new ReadOnlyMemory<byte>[Lengths.Length];
        var offset = 0;
        for (var i = 0; i < Lengths.Length; i++)
        {
            slices[i] = new ReadOnlyMemory<byte>(Buffer, offset, Lengths[i]);
            offset += Lengths[i];
        }

        return slices;
    }
}
