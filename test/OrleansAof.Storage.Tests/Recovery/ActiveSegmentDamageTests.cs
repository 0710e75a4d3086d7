using FluentAssertions;
using OrleansAof.Storage.Format;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>
/// Damage to the active (unsealed) segment after a clean close: the segment is scanned at open, so damage that a later
/// checkpoint proves was durable must fault the partition (intact prefix readable, appends refused), never be cut away.
/// </summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public class ActiveSegmentDamageTests : RecoveryTestBase
{
    private const int Records = 4;

    private static byte[] SizedPayload(int i) => Payload(i, 13 + (i * 9));

    [Fact]
    public async Task ActiveSegment_TruncatedAtEveryByte_KeepsExactlyWhatTheSurvivingCheckpointsCover()
    {
        using var scratch = ScratchRoot.Create("active-truncated");
        var (pristine, layout) = await BuildAsync(scratch);
        for (var cut = (long)SegmentHeader.Size; cut < layout.FileLength; cut++)
        {
            var root = scratch.Combine(cut);
            CopyDirectory(pristine, root);
            using (var stream = new FileStream(SegmentFiles(root)[0], FileMode.Open, FileAccess.Write))
            {
                stream.SetLength(cut);
            }

            var covered = layout.Checkpoints.Count(c => c.Checkpoint.Offset + FlushCheckpoint.Size <= cut);
            var because = $"the segment was cut to {cut} bytes, after {covered} complete checkpoint(s)";
            await using var log = await OpenAsync(Options(o => o.DataRoot = root));
            log.State.Should().Be(PartitionState.Open, because);
            await ShouldHoldExactlyAsync(log, [.. Enumerable.Range(0, covered).Select(SizedPayload)], because);
            (await log.AppendAsync(SizedPayload(covered))).Should().Be(new AppendResult(covered, covered, true), because);
        }
    }

    [Theory]
    [InlineData(0, 8)]
    [InlineData(0, 32)]
    [InlineData(12, 20)]
    [InlineData(40, 8)]
    public async Task ActiveSegment_ZeroedHoleInsideDurableData_OpensFaultedAndKeepsTheBytesAfterIt(int offsetInRecord, int length)
    {
        // A hole of zeros inside the second record, followed by checkpoints that declared it durable: damage, not a torn tail.
        using var scratch = ScratchRoot.Create("active-hole");
        var (root, layout) = await BuildAsync(scratch);
        var path = SegmentFiles(root)[0];
        var start = layout.Records[1].Offset + offsetInRecord;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.Position = start;
            stream.Write(new byte[length]);
        }

        var damaged = await File.ReadAllBytesAsync(path);
        await ShouldOpenFaultedWithPrefixAsync(root, 1, $"{length} zero bytes at offset {start}");
        (await File.ReadAllBytesAsync(SegmentFiles(root)[0])).Should().Equal(damaged, "the damaged segment is left as it is for an operator to inspect");
    }

    [Fact]
    public async Task ActiveSegment_BitFlipAnywhereBeforeTheLastCheckpoint_OpensFaultedWithTheIntactPrefixReadable()
    {
        using var scratch = ScratchRoot.Create("active-flip");
        var (pristine, layout) = await BuildAsync(scratch);
        var lastCheckpoint = layout.Checkpoints[^1].Checkpoint.Offset;
        for (var offset = (long)SegmentHeader.Size; offset < lastCheckpoint; offset++)
        {
            var root = scratch.Combine(offset);
            CopyDirectory(pristine, root);
            FlipBit(SegmentFiles(root)[0], offset, (int)(offset % 8));

            // Everything before the frame that holds the flip is intact.
            var frameStart = layout.Records.Select(static r => r.Offset).Concat(layout.Checkpoints.Select(static c => c.Checkpoint.Offset)).Where(o => o <= offset).Max();
            var prefix = layout.Records.Count(r => r.End <= frameStart);
            await ShouldOpenFaultedWithPrefixAsync(root, prefix, $"bit {offset % 8} of byte {offset} was flipped");
        }
    }

    [Fact]
    public async Task ActiveSegment_BitFlipInTheLastCheckpoint_LooksLikeATornTailAndDropsOnlyTheRecordItCovered()
    {
        // Nothing follows the last checkpoint, so a flip in it cannot be told from a checkpoint write torn by a crash:
        // recovery keeps what the previous checkpoint covered and drops the last record (it cannot prove it was acknowledged).
        using var scratch = ScratchRoot.Create("active-last-cp");
        var (pristine, layout) = await BuildAsync(scratch);
        var lastCheckpoint = layout.Checkpoints[^1].Checkpoint.Offset;
        for (var offset = lastCheckpoint; offset < lastCheckpoint + FlushCheckpoint.Size; offset++)
        {
            var root = scratch.Combine(offset);
            CopyDirectory(pristine, root);
            FlipBit(SegmentFiles(root)[0], offset, (int)(offset % 8));
            var because = $"bit {offset % 8} of byte {offset} (in the last checkpoint) was flipped";
            await using var log = await OpenAsync(Options(o => o.DataRoot = root));
            log.State.Should().Be(PartitionState.Open, because);
            await ShouldHoldExactlyAsync(log, [.. Enumerable.Range(0, Records - 1).Select(SizedPayload)], because);
        }
    }

    [Fact]
    public async Task ActiveSegment_BitFlipInItsHeader_OpensFaultedAndTheIdsItHeldAreNeverReused()
    {
        using var scratch = ScratchRoot.Create("active-header");
        var (pristine, _) = await BuildAsync(scratch);
        for (var offset = 0; offset < SegmentHeader.Size; offset++)
        {
            var root = scratch.Combine(offset);
            CopyDirectory(pristine, root);
            var path = SegmentFiles(root)[0];
            FlipBit(path, offset, offset % 8);
            var damaged = await File.ReadAllBytesAsync(path);
            var because = $"bit {offset % 8} of header byte {offset} was flipped";
            for (var open = 0; open < 2; open++)
            {
                // Faulted at every open until an operator decides: which ids the segment held is unknown, so none is handed out.
                await using var log = await OpenAsync(Options(o => o.DataRoot = root));
                log.State.Should().Be(PartitionState.Faulted, because);
                log.FaultReason.Should().Contain("header", because);
                log.NextId.Should().Be(0, because);
                var append = async () => await log.AppendAsync(Payload(99));
                await append.Should().ThrowAsync<PartitionFaultedException>(because);
            }

            SegmentFiles(root).Should().Equal([path], because);
            (await File.ReadAllBytesAsync(path)).Should().Equal(damaged, "{0}: the segment is left as it is for an operator", because);
        }
    }

    /// <summary>A Sync log of <see cref="Records"/> records (each with its checkpoint), closed cleanly; returns its root and segment layout.</summary>
    private async Task<(string Root, SegmentScanResult Layout)> BuildAsync(ScratchRoot scratch)
    {
        var root = scratch.Combine("pristine");
        await using (var log = await OpenAsync(Options(o => o.DataRoot = root)))
        {
            for (var i = 0; i < Records; i++)
            {
                (await log.AppendAsync(SizedPayload(i))).Should().Be(new AppendResult(i, i, true));
            }
        }

        var layout = ScanFile(SegmentFiles(root).Single());
        layout.Records.Should().HaveCount(Records);
        layout.Checkpoints.Should().HaveCount(Records, "each Sync append wrote its own checkpoint");
        layout.IsSealed.Should().BeFalse();
        return (root, layout);
    }

    private async Task ShouldOpenFaultedWithPrefixAsync(string root, int prefix, string because)
    {
        await using var log = await OpenAsync(Options(o => o.DataRoot = root));
        log.State.Should().Be(PartitionState.Faulted, because);
        log.GetInfo().State.Should().Be(PartitionState.Faulted, because);
        log.FaultReason.Should().Contain("damage", because);
        await ShouldHoldExactlyAsync(log, [.. Enumerable.Range(0, prefix).Select(SizedPayload)], because);
        var append = async () => await log.AppendAsync(Payload(99));
        await append.Should().ThrowAsync<PartitionFaultedException>(because);
        log.LastId.Should().Be(prefix - 1, "a refused append changes nothing");
    }
}
