using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArmCrc = System.Runtime.Intrinsics.Arm.Crc32;
using X86Crc = System.Runtime.Intrinsics.X86.Sse42;

namespace OrleansAof.Storage.Format;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every on-disk structure.
/// Uses the SSE4.2 / ARMv8 CRC instructions where present and a table otherwise.
/// </summary>
/// <remarks>
/// <see cref="Append(uint, ReadOnlySpan{byte})"/> continues a finished checksum, so
/// <c>Append(Compute(a), b) == Compute(a + b)</c>. The check value of "123456789" is 0xE3069283.
/// </remarks>
public static class Crc32C
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>Computes the CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues the finished checksum <paramref name="crc"/> over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => ~Update(~crc, data);

    /// <summary>Continues the finished checksum <paramref name="crc"/> over the four little-endian bytes of <paramref name="value"/>.</summary>
    public static uint AppendUInt32(uint crc, uint value)
    {
        if (X86Crc.IsSupported)
        {
            return ~X86Crc.Crc32(~crc, value);
        }

        if (ArmCrc.IsSupported)
        {
            return ~ArmCrc.ComputeCrc32C(~crc, value);
        }

        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return Append(crc, bytes);
    }

    private static uint Update(uint state, ReadOnlySpan<byte> data)
    {
        ref var start = ref MemoryMarshal.GetReference(data);
        nint length = data.Length;
        nint i = 0;
        if (X86Crc.X64.IsSupported)
        {
            ulong s = state;
            for (; i + 8 <= length; i += 8)
            {
                s = X86Crc.X64.Crc32(s, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i)));
            }

            state = (uint)s;
            for (; i < length; i++)
            {
                state = X86Crc.Crc32(state, Unsafe.Add(ref start, i));
            }

            return state;
        }

        if (ArmCrc.Arm64.IsSupported)
        {
            for (; i + 8 <= length; i += 8)
            {
                state = ArmCrc.Arm64.ComputeCrc32C(state, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i)));
            }

            for (; i < length; i++)
            {
                state = ArmCrc.ComputeCrc32C(state, Unsafe.Add(ref start, i));
            }

            return state;
        }

        for (; i < length; i++)
        {
            state = Table[(byte)(state ^ Unsafe.Add(ref start, i))] ^ (state >> 8);
        }

        return state;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
