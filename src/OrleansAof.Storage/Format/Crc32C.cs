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
    private const int LongBlock = 4096;
    private const int ShortBlock = 256;
    private static readonly uint[] Table = BuildTable();
    private static readonly uint[] LongShift = BuildShift(LongBlock);
    private static readonly uint[] ShortShift = BuildShift(ShortBlock);

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
            // The crc32 instruction takes 3 cycles but can start one per cycle: three independent streams over
            // adjacent blocks, joined by shifting the earlier ones past the later blocks, run about 3x faster.
            if (length >= 3 * ShortBlock)
            {
                i = UpdateThreeStreams(ref start, length, LongBlock, LongShift, ref state);
                i += UpdateThreeStreams(ref Unsafe.Add(ref start, i), length - i, ShortBlock, ShortShift, ref state);
            }

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

    /// <summary>
    /// Consumes whole runs of three blocks of <paramref name="block"/> bytes from <paramref name="start"/>, advancing the
    /// register <paramref name="state"/>; returns how many bytes it consumed. <paramref name="shift"/> appends
    /// <paramref name="block"/> zero bytes to a register (see <see cref="BuildShift"/>).
    /// </summary>
    private static nint UpdateThreeStreams(ref byte start, nint length, nint block, uint[] shift, ref uint state)
    {
        nint done = 0;
        while (length - done >= 3 * block)
        {
            ref var first = ref Unsafe.Add(ref start, done);
            ulong a = state, b = 0, c = 0;
            for (nint j = 0; j < block; j += 8)
            {
                a = X86Crc.X64.Crc32(a, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, j)));
                b = X86Crc.X64.Crc32(b, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, j + block)));
                c = X86Crc.X64.Crc32(c, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, j + (2 * block))));
            }

            state = Shift(shift, Shift(shift, (uint)a) ^ (uint)b) ^ (uint)c;
            done += 3 * block;
        }

        return done;
    }

    /// <summary>The register <paramref name="state"/> after as many zero bytes as the table was built for.</summary>
    private static uint Shift(uint[] table, uint state) =>
        table[(byte)state] ^ table[256 + (byte)(state >> 8)] ^ table[512 + (byte)(state >> 16)] ^ table[768 + (state >> 24)];

    /// <summary>
    /// Tables that append <paramref name="bytes"/> (a power of two) zero bytes to a CRC-32C register: the register is
    /// linear over GF(2), so the operator is a 32x32 bit matrix, found by squaring the one-bit operator, and applied a
    /// byte of the register at a time (four 256-entry tables).
    /// </summary>
    private static uint[] BuildShift(int bytes)
    {
        // The operator for one zero bit: column n is where bit n of the register goes.
        var op = new uint[32];
        op[0] = 0x82F63B78u;
        for (var n = 1; n < 32; n++)
        {
            op[n] = 1u << (n - 1);
        }

        for (var bits = 1; bits < bytes * 8; bits *= 2)
        {
            var squared = new uint[32];
            for (var n = 0; n < 32; n++)
            {
                squared[n] = Times(op, op[n]);
            }

            op = squared;
        }

        var table = new uint[1024];
        for (uint n = 0; n < 256; n++)
        {
            table[n] = Times(op, n);
            table[256 + n] = Times(op, n << 8);
            table[512 + n] = Times(op, n << 16);
            table[768 + n] = Times(op, n << 24);
        }

        return table;
    }

    private static uint Times(uint[] matrix, uint vector)
    {
        uint sum = 0;
        for (var n = 0; vector != 0; n++, vector >>= 1)
        {
            if ((vector & 1) != 0)
            {
                sum ^= matrix[n];
            }
        }

        return sum;
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
