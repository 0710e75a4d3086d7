namespace OrleansAof.Storage.Internal;

/// <summary>
/// The in-memory index of the active segment: the file offset of each record, in chunks so that appends never copy it.
/// One writer (under the partition's write lock) and lock-free readers of entries below a count they read earlier.
/// The first chunk starts small and doubles up to the chunk size, so that an open partition holding few records keeps
/// a few hundred bytes here, not 64 KiB (a silo keeps thousands of partitions open).
/// </summary>
internal sealed class OffsetIndex
{
    private const int ChunkBits = 13;
    private const int ChunkSize = 1 << ChunkBits;
    private const int ChunkMask = ChunkSize - 1;
    private const int FirstChunkStart = 64;
    private long[][] _chunks = new long[16][];
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public long this[int index] => _chunks[index >> ChunkBits][index & ChunkMask];

    public void Add(long offset)
    {
        var i = _count;
        var chunk = i >> ChunkBits;
        if (chunk == _chunks.Length)
        {
            var bigger = new long[_chunks.Length * 2][];
            Array.Copy(_chunks, bigger, _chunks.Length);
            Volatile.Write(ref _chunks, bigger);
        }

        var slot = i & ChunkMask;
        var entries = _chunks[chunk];
        if (entries is null || slot == entries.Length)
        {
            // A grown first chunk holds every entry of the old one: a reader that still has the old array reads
            // entries below the count it read, which both arrays hold.
            var grown = new long[entries is null ? (chunk == 0 ? FirstChunkStart : ChunkSize) : Math.Min(entries.Length * 2, ChunkSize)];
            if (entries is not null)
            {
                Array.Copy(entries, grown, slot);
            }

            Volatile.Write(ref _chunks[chunk], grown);
            entries = grown;
        }

        entries[slot] = offset;
        Volatile.Write(ref _count, i + 1);
    }

    /// <summary>Drops entries at and after <paramref name="count"/> (used by recovery only).</summary>
    public void Truncate(int count) => Volatile.Write(ref _count, Math.Min(count, _count));

    public long[] ToArray()
    {
        var result = new long[_count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = this[i];
        }

        return result;
    }
}
