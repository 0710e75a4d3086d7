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
}
