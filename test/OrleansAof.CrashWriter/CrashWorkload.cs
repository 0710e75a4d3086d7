using System.Buffers.Binary;
using OrleansAof.Storage.Format;

namespace OrleansAof.CrashWriter;

/// <summary>
/// The records the crash writer appends, derived from (seed, id) alone so that the parent can check every byte after a
/// SIGKILL without trusting anything the child wrote: payload sizes (empty, small, multi-KiB) and batch boundaries are
/// functions of the seed and the batch's first id.
/// </summary>
public static class CrashWorkload
{
    /// <summary>Segment size the writer and the verifier use: small, so rollovers and seals happen every few dozen records.</summary>
    public const long MaxSegmentBytes = 64 * 1024;

    /// <summary>Largest payload the workload produces.</summary>
    public const int MaxRecordBytes = 12 * 1024;

    /// <summary>Upper bound on the framed bytes of one batch.</summary>
    public const int MaxBatchBytes = 24 * 1024;

    /// <summary>Most records in one batch.</summary>
    public const int MaxBatchRecords = 6;

    /// <summary>The log and partition names the writer uses.</summary>
    public const string Log = "crash";

    /// <inheritdoc cref="Log"/>
    public const string Partition = "0";

    /// <summary>The payload of record <paramref name="id"/>.</summary>
    public static byte[] Payload(long seed, long id)
    {
        var state = Mix((ulong)seed ^ ((ulong)id * 0x9E3779B97F4A7C15UL));
        var size = Size(state);
        var bytes = new byte[size];
        var pos = 0;
        Span<byte> word = stackalloc byte[8];
        while (pos < size)
        {
            state = Mix(state);
            BinaryPrimitives.WriteUInt64LittleEndian(word, state);
            var n = Math.Min(8, size - pos);
            word[..n].CopyTo(bytes.AsSpan(pos));
            pos += n;
        }

        return bytes;
    }

    /// <summary>How many records the batch that starts at <paramref name="firstId"/> holds.</summary>
    public static int BatchSize(long seed, long firstId)
    {
        var count = 1 + (int)(Mix((ulong)seed ^ ((ulong)firstId * 0xC2B2AE3D27D4EB4FUL) ^ 0xB47C4E11UL) % MaxBatchRecords);
        while (count > 1 && FramedBytes(seed, firstId, count) > MaxBatchBytes)
        {
            count--;
        }

        return count;
    }

    /// <summary>The payloads of the batch that starts at <paramref name="firstId"/>.</summary>
    public static byte[][] Batch(long seed, long firstId)
    {
        var count = BatchSize(seed, firstId);
        var batch = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            batch[i] = Payload(seed, firstId + i);
        }

        return batch;
    }

    /// <summary>CRC-32C over the payloads of ids <paramref name="firstId"/>..<paramref name="lastId"/>, chained in order.</summary>
    public static uint Checksum(long seed, long firstId, long lastId)
    {
        var crc = 0u;
        for (var id = firstId; id <= lastId; id++)
        {
            crc = Crc32C.Append(crc, Payload(seed, id));
        }

        return crc;
    }

    /// <summary>Whether <paramref name="id"/> is where a batch starts (walking the batches from id 0).</summary>
    public static bool IsBatchBoundary(long seed, long id)
    {
        var first = 0L;
        while (first < id)
        {
            first += BatchSize(seed, first);
        }

        return first == id;
    }

    private static int Size(ulong state)
    {
        var pick = state % 100;
        var r = (int)((state >> 16) % 1_000_000);
        return pick switch
        {
            0 => 0,
            < 70 => 1 + (r % 200),
            < 95 => 200 + (r % 3900),
            _ => 4096 + (r % (MaxRecordBytes - 4096 + 1)),
        };
    }

    private static long FramedBytes(long seed, long firstId, int count)
    {
        long total = 0;
        for (var i = 0; i < count; i++)
        {
            total += SegmentFormat.RecordFrameSize(Size(Mix((ulong)seed ^ ((ulong)(firstId + i) * 0x9E3779B97F4A7C15UL))));
        }

        return total;
    }

    private static ulong Mix(ulong x)
    {
        // SplitMix64 finaliser.
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
