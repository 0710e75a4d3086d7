using System.Globalization;
using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>One writer per partition directory: a lock file refuses a second writer, in this process or another; each open takes a new epoch.</summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public class WriterExclusionTests : RecoveryTestBase
{
    [Fact]
    public async Task SecondWriter_SameProcess_IsRefusedWithPartitionLockedExceptionUntilTheFirstCloses()
    {
        var first = await OpenAsync();
        await first.AppendAsync(Payload(0));
        var second = async () => await OpenAsync();
        (await second.Should().ThrowAsync<PartitionLockedException>()).Which.Directory.Should().Be(PartitionDirectory(Temp.Path));
        (await first.AppendAsync(Payload(1))).Should().Be(new AppendResult(1, 1, true), "the refused writer disturbed nothing");
        await first.DisposeAsync();

        await using var third = await OpenAsync();
        third.WriterEpoch.Should().Be(2);
        await ShouldHoldExactlyAsync(third, [Payload(0), Payload(1)], "the refused open changed nothing");
    }

    [Fact]
    public async Task SecondWriter_OtherProcessHoldsThePartition_IsRefusedAndTheEpochMovesOnAfterIt()
    {
        await using (var log = await OpenAsync())
        {
            await log.AppendAsync(Payload(0));
        }

        await using (var child = ChildProcess.Start(["hold", Temp.Path, LogName, PartitionName]))
        {
            var opened = await child.WaitForLineAsync(static l => l.StartsWith("opened ", StringComparison.Ordinal), "the child opens the partition");
            opened.Should().Be("opened 2");
            var open = async () => await OpenAsync();
            await open.Should().ThrowAsync<PartitionLockedException>("another process holds the partition");
            child.CloseInput();
            (await child.WaitForExitAsync()).Should().Be(0);
            child.Lines.Should().Equal("opened 2", "closed");
        }

        await using (var log = await OpenAsync())
        {
            log.WriterEpoch.Should().Be(3);
            await ShouldHoldExactlyAsync(log, [Payload(0)], "the other writer only opened and closed");

            // And the other way round: this process holds it, the child is refused.
            await using var child = ChildProcess.Start(["hold", Temp.Path, LogName, PartitionName]);
            (await child.WaitForExitAsync()).Should().Be(0);
            child.Lines.Should().Equal("locked");
        }
    }

    [Fact]
    public async Task WriterEpoch_EachOpen_IncreasesByOneAndIsStampedIntoTheSegmentsItCreates()
    {
        var expected = new Dictionary<long, long>();
        for (var epoch = 1L; epoch <= 3; epoch++)
        {
            await using var log = await OpenAsync();
            log.WriterEpoch.Should().Be(epoch);
            log.GetInfo().WriterEpoch.Should().Be(epoch);
            (await log.AppendAsync(Payload(log.NextId))).IsDurable.Should().BeTrue();
            await log.SealAsync();
            expected[log.NextId] = epoch;
        }

        // Segment 0 was created by the first open; each seal created the next segment at the sealing writer's epoch.
        expected[0] = 1;
        var epochs = SegmentFiles(Temp.Path).ToDictionary(static p => long.Parse(Path.GetFileNameWithoutExtension(p), CultureInfo.InvariantCulture), static p => ScanFile(p).Header!.Value.WriterEpoch);
        epochs.Should().BeEquivalentTo(expected);

        // The epoch file is a convenience: without it the next epoch still exceeds every epoch stamped in a segment.
        File.Delete(Path.Combine(PartitionDirectory(Temp.Path), "epoch"));
        await using (var log = await OpenAsync())
        {
            log.WriterEpoch.Should().Be(4);
            (await log.AppendAsync(Payload(3))).FirstId.Should().Be(3);
            await log.SealAsync();
        }

        ScanFile(Path.Combine(SegmentsDirectory(Temp.Path), PartitionLayout.SegmentFileName(4))).Header!.Value.WriterEpoch.Should().Be(4);
    }
}
