using FluentAssertions;
using OrleansAof.Storage.Format;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>
/// Damage to a sealed segment that is not the last one. Sealed segments open from their footer without a scan, so a
/// flipped data bit is found when the record is read; damaged seal structures make the segment be scanned again.
/// Whatever happens must be reported and must never serve wrong bytes or silently lose acknowledged records.
/// </summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public class SealedSegmentDamageTests : RecoveryTestBase
{
    private const int PerSegment = 3;
    private const int Total = (2 * PerSegment) + 2;

    private static byte[] SizedPayload(int i) => Payload(i, 11 + (i * 7));

    private static byte[][] All => [.. Enumerable.Range(0, Total).Select(SizedPayload)];

    [Fact]
    public async Task SealedSegment_BitFlipAtEachByteOfItsData_ReadingTheRecordThrowsAndNeverReturnsOtherBytes()
    {
        using var scratch = ScratchRoot.Create("sealed-data-flip");
        var (pristine, layout) = await BuildAsync(scratch);
        var undetectedByReads = new List<long>();
        for (var offset = (long)SegmentHeader.Size; offset < layout.Footer!.Value.DataEnd; offset++)
        {
            var root = scratch.Combine(offset);
            CopyDirectory(pristine, root);
            var path = SegmentFiles(root)[0];
            FlipBit(path, offset, (int)(offset % 8));
            var because = $"bit {offset % 8} of data byte {offset} of the first sealed segment was flipped";
            var hit = layout.Records.FindIndex(r => offset >= r.Offset && offset < r.End);
            var inHeaderOrPayload = hit >= 0 && offset < layout.Records[hit].Offset + RecordHeader.Size + layout.Records[hit].PayloadLength;

            await using var log = await OpenAsync(Options(o => o.DataRoot = root));
            log.State.Should().Be(PartitionState.Open, "{0}: a sealed segment opens from its footer", because);
            var failed = new List<int>();
            for (var id = 0; id < Total; id++)
            {
                try
                {
                    (await ReadOneAsync(log, id)).Should().Equal(SizedPayload(id), "{0}: a read returns the record's bytes or throws", because);
                }
                catch (SegmentCorruptedException e) when (id < PerSegment)
                {
                    e.BaseId.Should().Be(0);
                    failed.Add(id);
                }
            }

            if (inHeaderOrPayload)
            {
                failed.Should().Contain(hit, "{0}: the record's checksum covers its header and payload", because);
            }
            else if (failed.Count == 0)
            {
                undetectedByReads.Add(offset);
            }

            // A whole read of the segment throws or returns exactly the records.
            try
            {
                (await ReadAllAsync(log)).Select(static r => r.Payload.ToArray()).Should().BeEquivalentTo(All, o => o.WithStrictOrdering(), because);
            }
            catch (SegmentCorruptedException)
            {
            }

            // Whatever reads do not need (padding, trailers, checkpoint bodies) a verifying scan of the file still finds.
            var scan = ScanFile(path);
            (scan.Stop == ScanStop.InvalidFrame || scan.Records.Count < PerSegment || scan.Checkpoints.Count < layout.Checkpoints.Count)
                .Should().BeTrue("{0}: a full scan of the segment must notice the flip (stopped {1}, {2} records)", because, scan.Stop, scan.Records.Count);
        }

        undetectedByReads.Should().OnlyContain(o => !layout.Records.Any(r => o >= r.Offset && o < r.Offset + RecordHeader.Size + r.PayloadLength), "only bytes a read does not return can pass a read unnoticed");
    }

    [Fact]
    public async Task SealedSegment_BitFlipInItsHeaderOrSealStructures_IsDetectedAndNoRecordIsLostOrWrong()
    {
        using var scratch = ScratchRoot.Create("sealed-structure-flip");
        var (pristine, layout) = await BuildAsync(scratch);
        var footer = layout.Footer!.Value;
        var offsets = Enumerable.Range(0, SegmentHeader.Size).Select(static o => (long)o)
            .Concat(Enumerable.Range(0, (int)(layout.FileLength - footer.DataEnd)).Select(o => footer.DataEnd + o));
        var outcomes = new Dictionary<string, int>();
        foreach (var offset in offsets)
        {
            var root = scratch.Combine(offset);
            CopyDirectory(pristine, root);
            var path = SegmentFiles(root)[0];
            FlipBit(path, offset, (int)(offset % 8));
            var because = $"bit {offset % 8} of byte {offset} of the first sealed segment was flipped";
            var region = offset < SegmentHeader.Size ? "header"
                : offset < footer.ProducerTableOffset ? "metadata"
                : offset < footer.IndexOffset ? "producer table"
                : offset < footer.IndexOffset + footer.IndexLength ? "index" : "footer";

            await using var log = await OpenAsync(Options(o => o.DataRoot = root));
            log.State.Should().Be(PartitionState.Open, because);
            var quarantined = log.GetInfo().Segments.Any(static s => s.BaseId == 0 && s.Status == SegmentStatus.Quarantined);
            var failed = 0;
            for (var id = 0; id < Total; id++)
            {
                try
                {
                    (await ReadOneAsync(log, id)).Should().Equal(SizedPayload(id), because);
                }
                catch (SegmentCorruptedException) when (id < PerSegment)
                {
                    failed++;
                }
            }

            string outcome;
            if (quarantined)
            {
                File.Exists(Path.Combine(QuarantineDirectory(root), PartitionLayout.SegmentFileName(0))).Should().BeTrue(because);
                failed.Should().Be(PerSegment, "{0}: the ids of a quarantined segment are reported as damaged", because);
                outcome = "quarantined";
            }
            else if (failed > 0)
            {
                failed.Should().Be(PerSegment, "{0}: a damaged index makes every read of the segment fail", because);
                outcome = "reads fail";
            }
            else
            {
                // The seal structures were rebuilt from the scanned data: the file is sealed again and the flip is gone.
                var rescanned = ScanFile(path);
                rescanned.IsSealed.Should().BeTrue(because);
                rescanned.Records.Should().HaveCount(PerSegment, because);
                outcome = "resealed";
            }

            var key = $"{region}: {outcome}";
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
            (await log.AppendAsync(SizedPayload(Total))).FirstId.Should().Be(Total, because);
        }

        outcomes.Keys.Should().BeEquivalentTo(["header: quarantined", "metadata: resealed", "producer table: resealed", "index: reads fail", "footer: resealed"]);
    }

    [Fact]
    public async Task SealedSegment_TruncatedAtEveryByte_IsResealedWhenItsDataIsWholeAndQuarantinedWhenNot()
    {
        using var scratch = ScratchRoot.Create("sealed-truncated");
        var (pristine, layout) = await BuildAsync(scratch);
        var dataEnd = layout.Footer!.Value.DataEnd;
        for (var cut = 0L; cut < layout.FileLength; cut++)
        {
            var root = scratch.Combine(cut);
            CopyDirectory(pristine, root);
            var path = SegmentFiles(root)[0];
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
            {
                stream.SetLength(cut);
            }

            var because = $"the first sealed segment was cut to {cut} of {layout.FileLength} bytes (data ends at {dataEnd})";
            await using var log = await OpenAsync(Options(o => o.DataRoot = root));
            log.State.Should().Be(PartitionState.Open, because);
            log.NextId.Should().Be(Total, because);
            for (var id = PerSegment; id < Total; id++)
            {
                (await ReadOneAsync(log, id)).Should().Equal(SizedPayload(id), because);
            }

            if (cut >= dataEnd)
            {
                // Only seal structures are missing: the data is whole, so the segment is sealed again with every record.
                ScanFile(path).IsSealed.Should().BeTrue(because);
                for (var id = 0; id < PerSegment; id++)
                {
                    (await ReadOneAsync(log, id)).Should().Equal(SizedPayload(id), because);
                }
            }
            else
            {
                // Records the next segment proves were durable are missing: quarantined and reported, never a silent gap.
                log.GetInfo().Segments.Should().Contain(s => s.BaseId == 0 && s.Status == SegmentStatus.Quarantined, because);
                File.Exists(path).Should().BeFalse(because);
                for (var id = 0; id < PerSegment; id++)
                {
                    var read = async () => await log.ReadAsync(id, 1);
                    await read.Should().ThrowAsync<SegmentCorruptedException>(because);
                }
            }

            (await log.AppendAsync(SizedPayload(Total))).FirstId.Should().Be(Total, because);
        }
    }

    /// <summary>Two sealed segments of <see cref="PerSegment"/> records and an active one of two, under Sync, closed cleanly.</summary>
    private async Task<(string Root, SegmentScanResult Layout)> BuildAsync(ScratchRoot scratch)
    {
        var root = scratch.Combine("pristine");
        await using (var log = await OpenAsync(Options(o => o.DataRoot = root)))
        {
            for (var i = 0; i < Total; i++)
            {
                (await log.AppendAsync(SizedPayload(i))).Should().Be(new AppendResult(i, i, true));
                if (i % PerSegment == PerSegment - 1 && i < 2 * PerSegment)
                {
                    (await log.SealAsync())!.LastId.Should().Be(i);
                }
            }
        }

        SegmentFiles(root).Should().HaveCount(3);
        var layout = ScanFile(SegmentFiles(root)[0]);
        layout.IsSealed.Should().BeTrue();
        layout.Records.Should().HaveCount(PerSegment);
        return (root, layout);
    }
}
