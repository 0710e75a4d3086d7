using System.Text;
using FluentAssertions;
using OrleansAof.Storage.Format;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests;

[Trait(TestCategories.Name, TestCategories.Fast)]
public class Crc32CTests
{
    [Fact]
    public void Compute_CheckString_MatchesPublishedCheckValue()
    {
        Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")).Should().Be(0xE3069283u);
    }

    [Fact]
    public void Compute_LengthsAroundTheInterleavedBlocks_MatchesBitwiseReference()
    {
        var random = new Random(11);
        var data = new byte[3 * 3 * 4096 + 3 * 256 + 64];
        random.NextBytes(data);
        int[] lengths = [0, 1, 7, 8, 9, 255, 256, 767, 768, 769, 1024, 1031, 12287, 12288, 12289, 12288 + 768, 12288 + 775, 24576, data.Length - 1];
        foreach (var length in lengths.Concat(Enumerable.Range(0, 200).Select(_ => random.Next(data.Length - 8))))
        {
            foreach (var offset in new[] { 0, 3 })
            {
                var slice = data.AsSpan(offset, Math.Min(length, data.Length - offset));
                var seed = (uint)random.Next();
                Crc32C.Append(seed, slice).Should().Be(BitwiseAppend(seed, slice), $"length {slice.Length}, offset {offset}");
            }
        }
    }

    [Fact]
    public void Append_InPieces_EqualsWhole()
    {
        var data = new byte[1000];
        new Random(7).NextBytes(data);
        var whole = Crc32C.Compute(data);
        for (var split = 0; split <= data.Length; split += 37)
        {
            Crc32C.Append(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)).Should().Be(whole);
        }
    }

    private static uint BitwiseAppend(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        foreach (var b in data)
        {
            state ^= b;
            for (var k = 0; k < 8; k++)
            {
                state = (state & 1) != 0 ? 0x82F63B78u ^ (state >> 1) : state >> 1;
            }
        }

        return ~state;
    }
}
