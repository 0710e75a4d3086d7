namespace OrleansAof.StressHarness;

/// <summary>
/// What each acknowledged id of one partition carries: the packed <see cref="RecordIdentity"/> of the record (0 while the id
/// has not been acknowledged). 8 bytes per record in chunks of 64 Ki ids, so a long run stays small and never copies.
/// </summary>
internal sealed class PartitionLedger
{
    private const int ChunkBits = 16;
    private const int ChunkSize = 1 << ChunkBits;
    private readonly long[]?[] _chunks = new long[]?[1 << 15];
    private readonly Lock _grow = new();
    private long _maxAcknowledged = -1;
    private long _count;

    /// <summary>The highest id acknowledged so far (-1 before the first).</summary>
    public long MaxAcknowledged => Volatile.Read(ref _maxAcknowledged);

    /// <summary>How many ids were acknowledged.</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>Records that <paramref name="id"/> was acknowledged for <paramref name="identity"/>; false when it already was for another record.</summary>
    public bool TrySet(long id, RecordIdentity identity, out RecordIdentity existing)
    {
        var chunk = Chunk(id, create: true)!;
        var slot = (int)(id & (ChunkSize - 1));
        var packed = identity.Packed;
        var previous = Interlocked.CompareExchange(ref chunk[slot], packed, 0);
        existing = previous == 0 ? identity : RecordIdentity.Unpack(previous);
        if (previous == 0)
        {
            Interlocked.Increment(ref _count);
            long max;
            while ((max = Volatile.Read(ref _maxAcknowledged)) < id && Interlocked.CompareExchange(ref _maxAcknowledged, id, max) != max)
            {
            }

            return true;
        }

        return previous == packed;
    }

    /// <summary>The record acknowledged at <paramref name="id"/>, or null when the id has not been acknowledged (yet).</summary>
    public RecordIdentity? Get(long id)
    {
        var chunk = Chunk(id, create: false);
        if (chunk is null)
        {
            return null;
        }

        var packed = Volatile.Read(ref chunk[(int)(id & (ChunkSize - 1))]);
        return packed == 0 ? null : RecordIdentity.Unpack(packed);
    }

    private long[]? Chunk(long id, bool create)
    {
        var index = id >> ChunkBits;
        if (index >= _chunks.Length)
        {
            throw new InvalidOperationException($"The ledger holds at most {(long)_chunks.Length * ChunkSize} ids per partition.");
        }

        var chunk = Volatile.Read(ref _chunks[index]);
        if (chunk is not null || !create)
        {
            return chunk;
        }

        lock (_grow)
        {
            return _chunks[index] ??= new long[ChunkSize];
        }
    }
}

/// <summary>Which record numbers of one producer were seen in a scan (to find duplicates).</summary>
internal sealed class SeenSet
{
    private readonly Dictionary<int, System.Collections.BitArray> _byProducer = [];

    /// <summary>Marks <paramref name="identity"/> seen; false when it already was.</summary>
    public bool Add(RecordIdentity identity)
    {
        if (!_byProducer.TryGetValue(identity.Producer, out var bits))
        {
            bits = new System.Collections.BitArray(1024);
            _byProducer[identity.Producer] = bits;
        }

        if (identity.RecordNo >= bits.Length)
        {
            bits.Length = (int)Math.Max(identity.RecordNo + 1, bits.Length * 2L);
        }

        var index = (int)identity.RecordNo;
        if (bits[index])
        {
            return false;
        }

        bits[index] = true;
        return true;
    }
}
