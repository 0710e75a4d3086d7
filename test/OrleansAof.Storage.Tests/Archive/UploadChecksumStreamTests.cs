using FluentAssertions;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Format;
using Xunit;

namespace OrleansAof.Storage.Tests.Archive;

/// <summary>The body of a put checked while it is sent: its figures describe the last pass from the start, as a client that hashes the body before sending it reads it twice.</summary>
public sealed class UploadChecksumStreamTests
{
    private static readonly byte[] Bytes = [.. Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7))];
    private static readonly SegmentFileFacts Facts = new(Bytes.Length, Crc32C.Compute(Bytes));

    [Fact]
    public void ReadTwiceWithRewind_DescribesTheLastPass()
    {
        using var body = new UploadChecksumStream(new MemoryStream(Bytes, writable: false));

        body.CopyTo(Stream.Null, 1000);
        body.Position = 0;
        body.CopyTo(Stream.Null, 777);

        body.ByteCount.Should().Be(Bytes.Length);
        body.Checksum.Should().Be(Facts.Checksum);
        body.Matches(Facts).Should().BeTrue();
        body.ProvedDifferent(Facts).Should().BeFalse();
    }

    [Fact]
    public void SeekIntoTheMiddle_VoidsTheFiguresUntilTheNextRewind()
    {
        using var body = new UploadChecksumStream(new MemoryStream(Bytes, writable: false));

        body.Seek(5_000, SeekOrigin.Begin);
        body.CopyTo(Stream.Null);

        body.Matches(Facts).Should().BeFalse();
        body.ProvedDifferent(Facts).Should().BeFalse("bytes read out of order prove nothing about the file");

        body.Seek(0, SeekOrigin.Begin);
        body.CopyTo(Stream.Null);
        body.Matches(Facts).Should().BeTrue();
    }

    [Fact]
    public void OtherBytes_AreProvedDifferentOnlyOnceAllWereRead()
    {
        var damaged = (byte[])Bytes.Clone();
        damaged[4_321] ^= 0x10;
        using var body = new UploadChecksumStream(new MemoryStream(damaged, writable: false));
        var half = new byte[5_000];

        body.ReadExactly(half);
        body.ProvedDifferent(Facts).Should().BeFalse("half of the bytes were read");
        body.CopyTo(Stream.Null);

        body.Matches(Facts).Should().BeFalse();
        body.ProvedDifferent(Facts).Should().BeTrue();
    }
}
