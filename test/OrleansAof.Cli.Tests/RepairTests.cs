using OrleansAof.Storage;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Cli.Tests;

/// <summary>aof repair on partitions damaged by the fault-injecting file system and by byte edits.</summary>
public sealed class RepairTests : CliTestBase
{
    /// <summary>Writes 40 records, then tears the next write after <paramref name="tearAfterBytes"/> bytes (a crash mid-write).</summary>
    private async Task CrashWhileAppendingId40Async(int tearAfterBytes)
    {
        await WriteAsync(40);
        var fs = new FaultInjectingFileSystem { WriteFilter = static p => p.EndsWith(".aofseg", StringComparison.Ordinal) };
        var log = await OpenAsync(fs);
        fs.TearAtByte(fs.BytesWritten + tearAfterBytes);
        var append = async () => await log.AppendAsync(Payload(40));
        await append.Should().ThrowAsync<Exception>();
        fs.Crashed.Should().BeTrue();
        await log.DisposeAsync();
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    public async Task TornRecordHeader_IsATornTail_RepairZeroesItExactlyAsRecovery_AndThePartitionServesEveryAcknowledgedId()
    {
        // The record of id 40 starts at RecordOffset(6) of segment 34; its first 15 bytes reach the disk (the 15th is the
        // record version, 1).
        await CrashWhileAppendingId40Async(15);

        var inspect = await RunAsync("inspect", PartitionDir, "--json");
        var verify = await RunAsync("verify", PartitionDir, "--json");

        inspect.ExitCode.Should().Be(ExitCodes.Ok, "a torn tail is what recovery handles; it is not damage");
        verify.ExitCode.Should().Be(ExitCodes.Findings, "verify is 0 only when clean");
        inspect.Json.GetProperty("partitions")[0].GetProperty("health").GetString().Should().Be("TornTail");
        var segment = InspectVerifyTests.Segment(inspect, 2);
        segment.GetProperty("baseId").GetInt64().Should().Be(34);
        segment.GetProperty("condition").GetString().Should().Be("TornTail");
        segment.GetProperty("lastId").GetInt64().Should().Be(39);
        var cut = segment.GetProperty("tornTail");
        cut.GetProperty("keepEnd").GetInt64().Should().Be(RecordOffset(6));
        cut.GetProperty("keepRecords").GetInt32().Should().Be(6);
        cut.GetProperty("lastKeptId").GetInt64().Should().Be(39);
        cut.GetProperty("discardedRecords").GetInt32().Should().Be(0);
        cut.GetProperty("zeroedBytes").GetInt64().Should().Be(15);

        var before = Snapshot();
        var dryRun = await RunAsync("repair", PartitionDir, "--truncate-torn-tail", "--json");
        dryRun.ExitCode.Should().Be(ExitCodes.ConfirmationRequired, dryRun.ToString());
        dryRun.Json.GetProperty("repair").GetProperty("applied").GetBoolean().Should().BeFalse();
        Snapshot().Should().BeEquivalentTo(before, "a repair without --yes changes nothing");

        var repair = await RunAsync("repair", PartitionDir, "--truncate-torn-tail", "--yes", "--json");

        repair.ExitCode.Should().Be(ExitCodes.Ok, repair.ToString());
        var step = repair.Json.GetProperty("repair").GetProperty("steps").EnumerateArray().Single();
        step.GetProperty("baseId").GetInt64().Should().Be(34);
        step.GetProperty("cutOffset").GetInt64().Should().Be(RecordOffset(6));
        step.GetProperty("zeroedBytes").GetInt64().Should().Be(15);
        step.GetProperty("recordsDropped").GetInt64().Should().Be(0);
        repair.Json.GetProperty("after").GetProperty("health").GetString().Should().Be("Clean");
        var bytes = File.ReadAllBytes(SegmentPath(34));
        bytes.AsSpan(0, (int)RecordOffset(6)).ToArray().Should().Equal(before[Path.Combine("segments", Path.GetFileName(SegmentPath(34)))].AsSpan(0, (int)RecordOffset(6)).ToArray());
        bytes.Skip((int)RecordOffset(6)).Should().OnlyContain(static b => b == 0);

        (await RunAsync("verify", PartitionDir)).ExitCode.Should().Be(ExitCodes.Ok);
        await using var log = await OpenAsync();
        log.State.Should().Be(PartitionState.Open);
        log.LastId.Should().Be(39);
        var records = await ReadAllAsync(log);
        records.Select(static r => r.Id).Should().Equal(Enumerable.Range(0, 40).Select(static i => (long)i));
        records.Should().AllSatisfy(r => r.Payload.ToArray().Should().Equal(Payload(r.Id)));
        (await log.AppendAsync(Payload(40))).FirstId.Should().Be(40);
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    public async Task TornCheckpoint_TheSyncRecordWasNeverAcknowledged_RepairDiscardsIt()
    {
        // The whole record of id 40 is written, then its checkpoint is torn after its 4-byte magic: the fsync never
        // happened, so under Sync the record was never acknowledged.
        await CrashWhileAppendingId40Async(FrameBytes + 4);

        var inspect = await RunAsync("inspect", PartitionDir, "--json");

        var cut = InspectVerifyTests.Segment(inspect, 2).GetProperty("tornTail");
        cut.GetProperty("keepEnd").GetInt64().Should().Be(RecordOffset(6));
        cut.GetProperty("keepRecords").GetInt32().Should().Be(6);
        cut.GetProperty("discardedRecords").GetInt32().Should().Be(1);
        cut.GetProperty("firstDiscardedId").GetInt64().Should().Be(40);
        cut.GetProperty("lastDiscardedId").GetInt64().Should().Be(40);
        cut.GetProperty("zeroedBytes").GetInt64().Should().Be(FrameBytes + 4);

        var repair = await RunAsync("repair", PartitionDir, "--truncate-torn-tail", "--yes", "--json");

        repair.ExitCode.Should().Be(ExitCodes.Ok, repair.ToString());
        var step = repair.Json.GetProperty("repair").GetProperty("steps")[0];
        step.GetProperty("recordsDropped").GetInt64().Should().Be(1);
        step.GetProperty("firstDroppedId").GetInt64().Should().Be(40);
        await using var log = await OpenAsync();
        log.LastId.Should().Be(39);
        (await ReadAllAsync(log, 30)).Select(static r => r.Id).Should().Equal(Enumerable.Range(30, 10).Select(static i => (long)i));
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    public async Task DamageInDurableDataOfTheActiveSegment_CutAtDamageDropsExactlyTheIdsItReports()
    {
        await WriteAsync(40);
        FlipByte(SegmentPath(34), RecordOffset(2) + 32 + 5);
        await using (var faulted = await OpenAsync())
        {
            faulted.State.Should().Be(PartitionState.Faulted, "recovery never skips damage in durable data");
        }

        var inspect = await RunAsync("inspect", PartitionDir, "--json");
        var verify = await RunAsync("verify", PartitionDir, "--json");

        inspect.ExitCode.Should().Be(ExitCodes.Findings, inspect.ToString());
        verify.ExitCode.Should().Be(ExitCodes.Findings, verify.ToString());
        var segment = InspectVerifyTests.Segment(inspect, 2);
        segment.GetProperty("condition").GetString().Should().Be("Damaged");
        segment.GetProperty("recordCount").GetInt64().Should().Be(2);
        var damage = segment.GetProperty("damage");
        damage.GetProperty("offset").GetInt64().Should().Be(RecordOffset(2));
        damage.GetProperty("detail").GetString().Should().Contain("record checksum mismatch");
        damage.GetProperty("proofCheckpointOffset").GetInt64().Should().Be(RecordOffset(2) + FrameBytes);
        damage.GetProperty("declaredLastId").GetInt64().Should().Be(36);
        damage.GetProperty("cut").GetProperty("keepEnd").GetInt64().Should().Be(RecordOffset(2));
        damage.GetProperty("cut").GetProperty("lastKeptId").GetInt64().Should().Be(35);
        damage.GetProperty("lostFirstId").GetInt64().Should().Be(36);
        damage.GetProperty("lostLastId").GetInt64().Should().Be(39);
        damage.GetProperty("lostIds").GetInt64().Should().Be(4);

        var before = Snapshot();
        var refused = await RunAsync("repair", PartitionDir, "--truncate-torn-tail", "--yes", "--json");
        refused.ExitCode.Should().Be(ExitCodes.Failed, "damage is not a torn tail");
        refused.Json.GetProperty("error").GetProperty("kind").GetString().Should().Be("refused");
        refused.Stderr.Should().Contain("--cut-at-damage");
        var dryRun = await RunAsync("repair", PartitionDir, "--cut-at-damage");
        dryRun.ExitCode.Should().Be(ExitCodes.ConfirmationRequired, dryRun.ToString());
        dryRun.Stdout.Should().Contain("ids 36..39 (4 record(s)) would be lost; the next append gets id 36").And.Contain("Nothing was changed");
        Snapshot().Should().BeEquivalentTo(before);

        var repair = await RunAsync("repair", PartitionDir, "--cut-at-damage", "--yes", "--json");

        repair.ExitCode.Should().Be(ExitCodes.Ok, repair.ToString());
        var step = repair.Json.GetProperty("repair").GetProperty("steps")[0];
        step.GetProperty("recordsDropped").GetInt64().Should().Be(4);
        step.GetProperty("firstDroppedId").GetInt64().Should().Be(36);
        step.GetProperty("lastDroppedId").GetInt64().Should().Be(39);
        // Zeroed up to the last non-zero byte: the last checkpoint ends in the zero top byte of its µs timestamp.
        step.GetProperty("zeroedBytes").GetInt64().Should().Be(RecordOffset(6) - RecordOffset(2) - 1);
        repair.Json.GetProperty("after").GetProperty("health").GetString().Should().Be("Clean");
        (await RunAsync("verify", PartitionDir)).ExitCode.Should().Be(ExitCodes.Ok);
        await using var log = await OpenAsync();
        log.State.Should().Be(PartitionState.Open);
        log.LastId.Should().Be(35);
        var records = await ReadAllAsync(log);
        records.Select(static r => r.Id).Should().Equal(Enumerable.Range(0, 36).Select(static i => (long)i));
        records.Should().AllSatisfy(r => r.Payload.ToArray().Should().Equal(Payload(r.Id)));
        (await log.AppendAsync(Payload(99))).FirstId.Should().Be(36);
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    public async Task DamagedSealedSegment_QuarantineMovesItAndRecordsIt_TheOtherSegmentsAreServed()
    {
        await WriteAsync(40);
        FlipByte(SegmentPath(17), RecordOffset(3) + 32 + 10);
        var before = Snapshot();

        var dryRun = await RunAsync("repair", PartitionDir, "--quarantine", "17", "--json");

        dryRun.ExitCode.Should().Be(ExitCodes.ConfirmationRequired, dryRun.ToString());
        Snapshot().Should().BeEquivalentTo(before);
        var planned = dryRun.Json.GetProperty("repair").GetProperty("steps")[0];
        planned.GetProperty("recordsDropped").GetInt64().Should().Be(17);
        planned.GetProperty("firstDroppedId").GetInt64().Should().Be(17);
        planned.GetProperty("lastDroppedId").GetInt64().Should().Be(33);

        var repair = await RunAsync("repair", PartitionDir, "--quarantine", "17", "--yes", "--json");

        repair.ExitCode.Should().Be(ExitCodes.Ok, repair.ToString());
        File.Exists(SegmentPath(17)).Should().BeFalse();
        var moved = Path.Combine(PartitionDir, "quarantine", Path.GetFileName(SegmentPath(17)));
        File.ReadAllBytes(moved).Should().Equal(before[Path.Combine("segments", Path.GetFileName(SegmentPath(17)))]);
        var after = repair.Json.GetProperty("after");
        after.GetProperty("health").GetString().Should().Be("Clean", "the gap is a recorded quarantine");
        var quarantined = after.GetProperty("quarantined").EnumerateArray().Single();
        quarantined.GetProperty("baseId").GetInt64().Should().Be(17);
        quarantined.GetProperty("inCatalog").GetBoolean().Should().BeTrue();
        var gap = after.GetProperty("continuity").EnumerateArray().Single();
        gap.GetProperty("expectedId").GetInt64().Should().Be(17);
        gap.GetProperty("foundBaseId").GetInt64().Should().Be(34);
        gap.GetProperty("quarantined").GetBoolean().Should().BeTrue();

        await using var log = await OpenAsync();
        log.State.Should().Be(PartitionState.Open);
        log.LastId.Should().Be(39);
        var first = await log.ReadAsync(0, 17);
        first.Records.Select(static r => r.Id).Should().Equal(Enumerable.Range(0, 17).Select(static i => (long)i));
        var last = await log.ReadAsync(34, 100);
        last.Records.Select(static r => r.Id).Should().Equal(Enumerable.Range(34, 6).Select(static i => (long)i));
        var quarantinedRead = async () => await log.ReadAsync(20, 1);
        (await quarantinedRead.Should().ThrowAsync<Storage.SegmentCorruptedException>()).Which.Message.Should().Contain("quarantined");
        (await log.AppendAsync(Payload(40))).FirstId.Should().Be(40);
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task QuarantineOfTheActiveSegment_IsRefused_BecauseItsIdsWouldBeReused()
    {
        await WriteAsync(40);
        FlipByte(SegmentPath(34), RecordOffset(2) + 32 + 5);
        var before = Snapshot();

        var run = await RunAsync("repair", PartitionDir, "--quarantine", "34", "--yes");

        run.ExitCode.Should().Be(ExitCodes.Failed, run.ToString());
        run.Stderr.Should().Contain("active (last) segment").And.Contain("reuse its ids").And.Contain("--cut-at-damage");
        Snapshot().Should().BeEquivalentTo(before);
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task QuarantineOfAnIntactSegment_IsRefused()
    {
        await WriteAsync(40);
        var before = Snapshot();

        var run = await RunAsync("repair", PartitionDir, "--quarantine", "0", "--yes", "--json");

        run.ExitCode.Should().Be(ExitCodes.Failed, run.ToString());
        run.Json.GetProperty("error").GetProperty("message").GetString().Should().Contain("verifies without damage");
        Snapshot().Should().BeEquivalentTo(before);
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    public async Task WhileAWriterHoldsThePartition_RepairIsRefusedAndChangesNothing()
    {
        await CrashWhileAppendingId40Async(15);
        await using var writer = await OpenAsync();
        var before = File.ReadAllBytes(SegmentPath(34));

        var applied = await RunAsync("repair", PartitionDir, "--truncate-torn-tail", "--yes", "--json");
        var dryRun = await RunAsync("repair", PartitionDir, "--truncate-torn-tail");

        applied.ExitCode.Should().Be(ExitCodes.Locked, applied.ToString());
        applied.Json.GetProperty("error").GetProperty("kind").GetString().Should().Be("locked");
        applied.Json.GetProperty("error").GetProperty("message").GetString().Should().Contain("locked by another writer");
        dryRun.ExitCode.Should().Be(ExitCodes.Locked, dryRun.ToString());
        writer.State.Should().Be(PartitionState.Open);
        File.ReadAllBytes(SegmentPath(34)).Should().Equal(before);
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task CleanPartition_RepairHasNothingToDo_AndExitsZeroWithoutYes()
    {
        await WriteAsync(40);
        var before = Snapshot();

        var run = await RunAsync("repair", PartitionDir, "--truncate-torn-tail", "--json");

        run.ExitCode.Should().Be(ExitCodes.Ok, run.ToString());
        run.Json.GetProperty("repair").GetProperty("steps").GetArrayLength().Should().Be(0);
        run.Json.GetProperty("repair").GetProperty("summary").GetString().Should().Contain("nothing to do");
        Snapshot().Should().BeEquivalentTo(before);
    }

    [Theory]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    [InlineData("repair", "{dir}")]
    [InlineData("repair", "{dir}", "--truncate-torn-tail", "--cut-at-damage")]
    [InlineData("repair", "{dir}", "--cut-at-damage", "--quarantine", "3")]
    [InlineData("repair", "{dir}", "--quarantine", "not-a-number")]
    [InlineData("inspect")]
    [InlineData("frobnicate")]
    [InlineData]
    public async Task BadCommandLines_AreUsageErrors(params string[] args)
    {
        await WriteAsync(1);

        var run = await RunAsync([.. args.Select(a => a.Replace("{dir}", PartitionDir, StringComparison.Ordinal))]);

        run.ExitCode.Should().Be(ExitCodes.Usage, run.ToString());
        run.Stdout.Should().BeEmpty();
        run.Stderr.Should().Contain("aof --help");
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task Help_DocumentsTheExitCodes()
    {
        var run = await RunAsync("--help");

        run.ExitCode.Should().Be(ExitCodes.Ok);
        run.Stdout.Should().Contain("Exit codes:").And.Contain("4  confirmation required").And.Contain("5  locked")
            .And.Contain("inspect").And.Contain("verify").And.Contain("repair");
    }
}
