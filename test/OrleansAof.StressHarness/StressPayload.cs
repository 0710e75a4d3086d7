using System.Buffers.Binary;

namespace OrleansAof.StressHarness;

/// <summary>Who wrote a record: the producer's number (from 1) and the record's number within that producer (dense from 0).</summary>
/// <param name="Producer">Producer number, 1 to 32767.</param>
/// <param name="RecordNo">The producer's record number.</param>
public readonly record struct RecordIdentity(int Producer, long RecordNo)
{
    /// <summary>Both in one non-zero long (producer in the top 16 bits).</summary>
    public long Packed => ((long)Producer << 48) | RecordNo;

    /// <summary>The inverse of <see cref="Packed"/>.</summary>
    public static RecordIdentity Unpack(long packed) => new((int)(packed >> 48), packed & ((1L << 48) - 1));

    public override string ToString() => $"producer {Producer} record {RecordNo}";
}

/// <summary>
/// Self-verifying payloads: a 32-byte header (magic, producer, record number, stamp sequence, partition, length) and filler
/// bytes derived from the header, so any reader can tell whether the bytes it got are exactly the bytes written.
/// </summary>
/// <remarks>
/// <code>
/// offset size
///      0    4  magic "STR1"
///      4    4  producer number
///      8    8  record number within the producer
///     16    8  producer stamp sequence of the append that carried it
///     24    4  partition index
///     28    4  total payload length
///     32    *  filler: xorshift64 stream seeded from (producer, record number)
/// </code>
/// </remarks>
public static class StressPayload
{
    /// <summary>Size of the header; the smallest payload.</summary>
    public const int HeaderBytes = 32;

    private const uint Magic = 0x31525453;

    /// <summary>Builds the payload of one record.</summary>
    public static byte[] Create(RecordIdentity identity, long stampSequence, int partition, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, HeaderBytes);
        var bytes = new byte[length];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], identity.Producer);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], identity.RecordNo);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], stampSequence);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], partition);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], length);
        var state = Seed(identity);
        for (var offset = HeaderBytes; offset < length; offset += 8)
        {
            var word = Next(ref state);
            for (var b = 0; b < 8 && offset + b < length; b++)
            {
                bytes[offset + b] = (byte)(word >> (8 * b));
            }
        }

        return bytes;
    }

    /// <summary>Checks the payload's bytes against its header; null when they are exactly what was written, otherwise why not.</summary>
    public static string? Verify(ReadOnlySpan<byte> payload, int partition, out RecordIdentity identity)
    {
        identity = default;
        if (payload.Length < HeaderBytes)
        {
            return $"payload of {payload.Length} bytes is shorter than the {HeaderBytes}-byte header";
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(payload) != Magic)
        {
            return "payload does not start with the stress magic";
        }

        identity = new RecordIdentity(BinaryPrimitives.ReadInt32LittleEndian(payload[4..]), BinaryPrimitives.ReadInt64LittleEndian(payload[8..]));
        var writtenPartition = BinaryPrimitives.ReadInt32LittleEndian(payload[24..]);
        var length = BinaryPrimitives.ReadInt32LittleEndian(payload[28..]);
        if (writtenPartition != partition)
        {
            return $"{identity} was written to partition {writtenPartition} but read from partition {partition}";
        }

        if (length != payload.Length)
        {
            return $"{identity} was {length} bytes long but {payload.Length} bytes were read";
        }

        var state = Seed(identity);
        for (var offset = HeaderBytes; offset < length; offset += 8)
        {
            var word = Next(ref state);
            for (var b = 0; b < 8 && offset + b < length; b++)
            {
                if (payload[offset + b] != (byte)(word >> (8 * b)))
                {
                    return $"{identity}: byte {offset + b} of {length} differs from what was written";
                }
            }
        }

        return null;
    }

    private static ulong Seed(RecordIdentity identity)
    {
        var s = ((ulong)identity.Producer * 0x9E3779B97F4A7C15UL) ^ ((ulong)identity.RecordNo * 0xBF58476D1CE4E5B9UL) ^ 0x94D049BB133111EBUL;
        return s == 0 ? 1 : s;
    }

    private static ulong Next(ref ulong state)
    {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
}
