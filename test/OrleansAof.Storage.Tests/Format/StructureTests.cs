using System.Buffers.Binary;
using FluentAssertions;
using OrleansAof.Storage.Format;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Format;

[Trait(TestCategories.Name, TestCategories.Fast)]
public class StructureTests
{
    private static readonly SegmentHeader Header = new(SegmentFormat.Version, 0, 0x1122334455667788, 42, 1_700_000_000_000_000, 7);
    private static readonly FlushCheckpoint Checkpoint = new(4096, 99, 58, 0xCAFEBABE, 1_700_000_000_123_456);
    private static readonly SegmentMetadata Metadata = new(42, 99, 58, 1_700_000_000_000_001, 1_700_000_000_999_999, 1_700_000_001_000_000, 0xDEADBEEF);
    private static readonly ProducerStampFrame Stamp = new(-5, 12, 42);

    [Fact]
    public void SegmentHeader_RoundTrips()
    {
        var bytes = new byte[SegmentHeader.Size];
        Header.WriteTo(bytes);
        SegmentHeader.TryRead(bytes, out var read).Should().BeNull();
        read.Should().Be(Header);
    }

    [Fact]
    public void FlushCheckpoint_RoundTrips_OnlyAtItsOwnOffset()
    {
        var bytes = new byte[FlushCheckpoint.Size];
        Checkpoint.WriteTo(bytes);
        FlushCheckpoint.TryRead(bytes, 4096, out var read).Should().BeTrue();
        read.Should().Be(Checkpoint);
        FlushCheckpoint.TryRead(bytes, 4104, out _).Should().BeFalse("a checkpoint copied to another offset is not valid there");
    }

    [Fact]
    public void Metadata_ProducerStamp_AndTrailer_RoundTrip()
    {
        var meta = new byte[SegmentMetadata.Size];
        Metadata.WriteTo(meta);
        SegmentMetadata.TryRead(meta, out var m).Should().BeTrue();
        m.Should().Be(Metadata);

        var stamp = new byte[ProducerStampFrame.Size];
        Stamp.WriteTo(stamp);
        ProducerStampFrame.TryRead(stamp, out var s).Should().BeTrue();
        s.Should().Be(Stamp);

        var trailer = new byte[RecordTrailer.Size];
        new RecordTrailer(0xAABBCCDD, 1000, 1088).WriteTo(trailer);
        RecordTrailer.TryRead(trailer, out var t).Should().BeTrue();
        t.Should().Be(new RecordTrailer(0xAABBCCDD, 1000, 1088));
    }

    [Fact]
    public void ProducerTable_AndIndex_RoundTrip()
    {
        ProducerEntry[] entries = [new(1, 2, 3, 4), new(long.MaxValue, 0, 10, 10)];
        var table = new byte[ProducerTable.TotalSize(entries.Length)];
        ProducerTable.Write(table, entries);
        ProducerTable.Read(table).Should().Equal(entries);

        var index = new byte[BinaryIndexHeader.TotalSize(3)];
        for (var i = 0; i < 3; i++)
        {
            BinaryIndexHeader.WriteEntry(index.AsSpan(BinaryIndexHeader.Size + (i * BinaryIndexHeader.EntrySize)), 42 + i, 64 + (i * 100));
        }

        BinaryIndexHeader.Complete(index, 3);
        BinaryIndexHeader.Validate(index).Should().Be(3);
        BinaryIndexHeader.ReadEntry(index.AsSpan(BinaryIndexHeader.Size + BinaryIndexHeader.EntrySize)).Should().Be((43L, 164L));
    }

    [Fact]
    public void Footer_RoundTrips_AndIsReadFromTheEndOfAFile()
    {
        var footer = new SegmentFooter(1000, 1000, 1064, 80, 1144, 48, 1, 2, 3, 42, SegmentFormat.Version);
        var file = new byte[1144 + 48 + SegmentFooter.Size];
        footer.WriteTo(file.AsSpan(file.Length - SegmentFooter.Size));
        SegmentFooter.TryRead(file.AsSpan(file.Length - SegmentFooter.Size), file.Length, out var read).Should().BeNull();
        read.Should().Be(footer);
        SegmentFooter.TryRead(file.AsSpan(file.Length - SegmentFooter.Size), file.Length + 8, out _).Should().Be("footer offsets do not match the file");
    }

    [Fact]
    public void Record_ChecksumCoversPayloadAndHeader()
    {
        var payload = "hello"u8.ToArray();
        var frame = new byte[SegmentFormat.RecordFrameSize(payload.Length)];
        RecordHeader.WriteBody(frame, payload.Length, RecordFlags.AcknowledgedOnWrite, 7, 123);
        var crc = RecordHeader.ComputeChecksum(Crc32C.Compute(payload), frame);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), crc);
        RecordHeader.TryRead(frame, out var h).Should().BeTrue();
        h.Should().Be(new RecordHeader(crc, 5, RecordFlags.AcknowledgedOnWrite, RecordHeader.CurrentRecordVersion, 7, 123));
        frame.Length.Should().Be(32 + 8 + 16);

        BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(16), 8);
        RecordHeader.ComputeChecksum(Crc32C.Compute(payload), frame).Should().NotBe(crc, "the id is covered by the record checksum");
    }

    public static TheoryData<string> Structures() => ["header", "checkpoint", "metadata", "stamp", "trailer", "table", "index", "footer"];

    [Theory]
    [MemberData(nameof(Structures))]
    public void EveryStructure_AnyFlippedBit_IsDetected(string structure)
    {
        var (bytes, valid) = Build(structure);
        valid(bytes).Should().BeTrue();
        for (var bit = 0; bit < bytes.Length * 8; bit++)
        {
            var copy = (byte[])bytes.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            valid(copy).Should().BeFalse($"bit {bit} of the {structure} was flipped");
        }
    }

    private static (byte[] Bytes, Func<byte[], bool> Valid) Build(string structure)
    {
        switch (structure)
        {
            case "header":
                {
                    var b = new byte[SegmentHeader.Size];
                    Header.WriteTo(b);
                    return (b, x => SegmentHeader.TryRead(x, out var h) is null && h == Header);
                }

            case "checkpoint":
                {
                    var b = new byte[FlushCheckpoint.Size];
                    Checkpoint.WriteTo(b);
                    return (b, x => FlushCheckpoint.TryRead(x, 4096, out _));
                }

            case "metadata":
                {
                    var b = new byte[SegmentMetadata.Size];
                    Metadata.WriteTo(b);
                    return (b, x => SegmentMetadata.TryRead(x, out _));
                }

            case "stamp":
                {
                    var b = new byte[ProducerStampFrame.Size];
                    Stamp.WriteTo(b);
                    return (b, x => ProducerStampFrame.TryRead(x, out _));
                }

            case "trailer":
                {
                    var b = new byte[RecordTrailer.Size];
                    new RecordTrailer(1, 2, 3).WriteTo(b);
                    return (b, x => RecordTrailer.TryRead(x, out _));
                }

            case "table":
                {
                    ProducerEntry[] e = [new(1, 2, 3, 4)];
                    var b = new byte[ProducerTable.TotalSize(1)];
                    ProducerTable.Write(b, e);
                    return (b, x => ProducerTable.Read(x) is not null);
                }

            case "index":
                {
                    var b = new byte[BinaryIndexHeader.TotalSize(2)];
                    BinaryIndexHeader.WriteEntry(b.AsSpan(16), 0, 64);
                    BinaryIndexHeader.WriteEntry(b.AsSpan(32), 1, 128);
                    BinaryIndexHeader.Complete(b, 2);
                    return (b, x => BinaryIndexHeader.Validate(x) == 2);
                }

            default:
                {
                    var b = new byte[SegmentFooter.Size];
                    new SegmentFooter(1000, 1000, 1064, 16, 1080, 16, 1, 2, 3, 0, SegmentFormat.Version).WriteTo(b);
                    return (b, x => SegmentFooter.TryRead(x, 1000 + 64 + 16 + 16 + SegmentFooter.Size, out _) is null);
                }
        }
    }
}
