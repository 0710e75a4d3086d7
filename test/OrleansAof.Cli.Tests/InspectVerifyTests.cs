using System.Text.Json;
using OrleansAof.Storage.Offline;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Cli.Tests;

/// <summary>inspect and verify on clean and damaged partitions written by the engine (40 records: segments 0, 17 and 34).</summary>
public sealed class InspectVerifyTests : CliTestBase
{
    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task CleanPartition_InspectAndVerify_ExitZeroWithTheExactLayout()
    {
        await WriteAsync(40);

        var inspect = await RunAsync("inspect", PartitionDir, "--json");
        var verify = await RunAsync("verify", Temp.Path, "--json");

        inspect.ExitCode.Should().Be(ExitCodes.Ok, inspect.ToString());
        verify.ExitCode.Should().Be(ExitCodes.Ok, verify.ToString());
        foreach (var run in new[] { inspect, verify })
        {
            var partition = run.Json.GetProperty("partitions").EnumerateArray().Single();
            partition.GetProperty("health").GetString().Should().Be("Clean");
            partition.GetProperty("locked").GetBoolean().Should().BeFalse();
            partition.GetProperty("lastId").GetInt64().Should().Be(39);
            partition.GetProperty("totalRecords").GetInt64().Should().Be(40);
            partition.GetProperty("continuity").GetArrayLength().Should().Be(0);
            var segments = partition.GetProperty("segments").EnumerateArray().ToList();
            segments.Select(static s => s.GetProperty("baseId").GetInt64()).Should().Equal(0, 17, 34);
            segments.Select(static s => s.GetProperty("lastId").GetInt64()).Should().Equal(16, 33, 39);
            segments.Select(static s => s.GetProperty("recordCount").GetInt64()).Should().Equal(17, 17, 6);
            segments.Select(static s => s.GetProperty("condition").GetString()).Should().Equal("Sealed", "Sealed", "Active");
            segments.Select(static s => s.GetProperty("dataEnd").GetInt64()).Should().Equal(RecordOffset(17), RecordOffset(17), RecordOffset(6));
            segments[2].GetProperty("lastCheckpoint").GetProperty("lastId").GetInt64().Should().Be(39);
            segments[2].GetProperty("lastCheckpoint").GetProperty("offset").GetInt64().Should().Be(RecordOffset(6) - CheckpointBytes);
            segments[2].GetProperty("checkpointCount").GetInt32().Should().Be(6);
        }

        verify.Json.GetProperty("verified").GetBoolean().Should().BeTrue();
        var sealedSegment = verify.Json.GetProperty("partitions")[0].GetProperty("segments")[0];
        sealedSegment.GetProperty("scanned").GetBoolean().Should().BeTrue();
        sealedSegment.GetProperty("checkpointCount").GetInt32().Should().Be(17);
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task CatalogRowsWhoseFilesAreGone_AreFindings_NeverClean_WithWhatTheNextOpenDoes()
    {
        await WriteAsync(40);
        var archiveRoot = Temp.Combine("archive");
        await using (var log = await Storage.PartitionLog.OpenAsync("orders", "0", Options(), new Storage.PartitionLogEnvironment { Archive = new Storage.Archive.FileSystemArchive(new Storage.Archive.FileSystemArchiveOptions { RootPath = archiveRoot }) }))
        {
            (await log.ArchiveNextAsync())!.BaseId.Should().Be(0);
        }

        // Segment 0 was archived (its file is kept), segment 17 never was; both files are then lost.
        File.Delete(SegmentPath(0));
        File.Delete(SegmentPath(17));

        var verify = await RunAsync("verify", Temp.Path, "--json");
        var human = await RunAsync("inspect", PartitionDir);

        verify.ExitCode.Should().Be(ExitCodes.Findings, verify.ToString());
        var partition = verify.Json.GetProperty("partitions").EnumerateArray().Single();
        partition.GetProperty("health").GetString().Should().Be("Damaged");
        var gone = partition.GetProperty("withoutFile").EnumerateArray().ToList();
        gone.Select(static w => (w.GetProperty("baseId").GetInt64(), w.GetProperty("lastId").GetInt64(), w.GetProperty("status").GetString()))
            .Should().Equal((0L, 16L, "Archived"), (17L, 33L, "Sealed"));
        gone[0].GetProperty("consequence").GetString().Should().Contain("serves these ids from the archive");
        gone[1].GetProperty("consequence").GetString().Should().Contain("lost if it does not hold them");
        human.ExitCode.Should().Be(ExitCodes.Findings, human.ToString());
        human.Stdout.Should().Contain("no file").And.Contain("ids 0..16").And.Contain("ids 17..33");
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task HumanOutput_ShowsTheTableAndTheSummary_WithoutJson()
    {
        await WriteAsync(40);

        var run = await RunAsync("inspect", PartitionDir);

        run.ExitCode.Should().Be(ExitCodes.Ok, run.ToString());
        run.Stdout.Should().Contain("orders/0").And.Contain("health: Clean").And.Contain("Sealed").And.Contain("Active")
            .And.Contain("1 partition(s): 1 clean, 0 with a torn tail, 0 damaged");
        run.Stdout.TrimStart().Should().NotStartWith("{");
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    public async Task BitFlipInASealedSegment_InspectTrustsTheFooter_VerifyFindsItAtTheRecordOffset()
    {
        await WriteAsync(40);
        FlipByte(SegmentPath(17), RecordOffset(3) + 32 + 10);

        var inspect = await RunAsync("inspect", PartitionDir, "--json");
        var verify = await RunAsync("verify", PartitionDir, "--json");

        inspect.ExitCode.Should().Be(ExitCodes.Ok, "inspect reads sealed segments from their footers, as an open does");
        inspect.Json.GetProperty("partitions")[0].GetProperty("segments")[1].GetProperty("condition").GetString().Should().Be("Sealed");

        verify.ExitCode.Should().Be(ExitCodes.Findings, verify.ToString());
        var partition = verify.Json.GetProperty("partitions")[0];
        partition.GetProperty("health").GetString().Should().Be("Damaged");
        var segments = partition.GetProperty("segments");
        segments[0].GetProperty("condition").GetString().Should().Be("Sealed");
        segments[2].GetProperty("condition").GetString().Should().Be("Active");
        var damaged = segments[1];
        damaged.GetProperty("baseId").GetInt64().Should().Be(17);
        damaged.GetProperty("condition").GetString().Should().Be("Damaged");
        var damage = damaged.GetProperty("damage");
        damage.GetProperty("offset").GetInt64().Should().Be(RecordOffset(3));
        damage.GetProperty("detail").GetString().Should().Contain("record checksum mismatch").And.Contain("id field 20");
        damage.GetProperty("declaredLastId").GetInt64().Should().Be(33);
        damage.GetProperty("proof").GetString().Should().Contain("17 record(s) through id 33");
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    public async Task TruncatedSealedSegment_IsDamageThatRecoveryQuarantines_InspectAndVerifySayExactlyThat()
    {
        // Not a torn tail: the next segment exists, so the cut-off records had been durable. Recovery quarantines the file,
        // and inspect and verify report the same decision (one classifier for both).
        await WriteAsync(40);
        Truncate(SegmentPath(17), RecordOffset(10) + 100);

        var inspect = await RunAsync("inspect", PartitionDir, "--json");
        var verify = await RunAsync("verify", PartitionDir, "--json");

        inspect.ExitCode.Should().Be(ExitCodes.Findings, inspect.ToString());
        verify.ExitCode.Should().Be(ExitCodes.Findings, verify.ToString());
        var partition = inspect.Json.GetProperty("partitions")[0];
        partition.GetProperty("health").GetString().Should().Be("Damaged");
        var segment = partition.GetProperty("segments")[1];
        segment.GetProperty("condition").GetString().Should().Be("Damaged");
        segment.GetProperty("detail").GetString().Should().Contain("holds ids 17..26 but the next segment starts at 34").And.Contain("quarantines");
        segment.GetProperty("footerError").GetString().Should().NotBeNullOrEmpty();
        segment.GetProperty("recordCount").GetInt64().Should().Be(10);
        segment.GetProperty("lastId").GetInt64().Should().Be(26);
        var damage = segment.GetProperty("damage");
        damage.GetProperty("lostFirstId").GetInt64().Should().Be(27);
        damage.GetProperty("lostLastId").GetInt64().Should().Be(33);
        var gap = partition.GetProperty("continuity").EnumerateArray().Single();
        gap.GetProperty("kind").GetString().Should().Be("Gap");
        gap.GetProperty("expectedId").GetInt64().Should().Be(27);
        gap.GetProperty("foundBaseId").GetInt64().Should().Be(34);
        gap.GetProperty("quarantined").GetBoolean().Should().BeFalse();
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    public async Task DamagedSegmentHeader_IsReportedAsHeaderDamage()
    {
        await WriteAsync(40);
        FlipByte(SegmentPath(17), 20);

        var run = await RunAsync("inspect", PartitionDir, "--json");

        run.ExitCode.Should().Be(ExitCodes.Findings, run.ToString());
        var segment = run.Json.GetProperty("partitions")[0].GetProperty("segments")[1];
        segment.GetProperty("condition").GetString().Should().Be("HeaderDamaged");
        segment.GetProperty("detail").GetString().Should().Contain("segment header checksum mismatch");
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task DataRootSegmentFolderAndSingleFile_AreAllAccepted()
    {
        await WriteAsync(40);
        await using (var other = await Storage.PartitionLog.OpenAsync("payments", "7", Options()))
        {
            await other.AppendAsync(Payload(0));
        }

        var root = await RunAsync("inspect", Temp.Path, "--json");
        var segmentsFolder = await RunAsync("inspect", SegmentsDir, "--json");
        var single = await RunAsync("verify", SegmentPath(17), "--json");

        root.ExitCode.Should().Be(ExitCodes.Ok, root.ToString());
        root.Json.GetProperty("partitions").EnumerateArray().Select(static p => $"{p.GetProperty("log").GetString()}/{p.GetProperty("partition").GetString()}")
            .Should().Equal("orders/0", "payments/7");
        segmentsFolder.Json.GetProperty("partitions")[0].GetProperty("segments").GetArrayLength().Should().Be(3);
        single.ExitCode.Should().Be(ExitCodes.Ok, single.ToString());
        var only = single.Json.GetProperty("partitions")[0].GetProperty("segments").EnumerateArray().Single();
        only.GetProperty("baseId").GetInt64().Should().Be(17);
        only.GetProperty("isLast").GetBoolean().Should().BeFalse();
        only.GetProperty("condition").GetString().Should().Be("Sealed");
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task Inspector_ReportsProgressUpToEveryByteOfTheSegmentFiles()
    {
        await WriteAsync(40);
        var reports = new List<InspectionProgress>();
        var total = Directory.GetFiles(SegmentsDir, "*.aofseg").Sum(static f => new FileInfo(f).Length);

        var report = new PartitionInspector(new InspectionOptions { Verify = true }).Inspect(PartitionDir, new ListProgress(reports));

        report.BytesRead.Should().Be(total);
        reports.Should().OnlyContain(p => p.BytesTotal == total);
        reports.Select(static p => p.BytesDone).Should().BeInAscendingOrder();
        reports[0].BytesDone.Should().Be(0);
        reports[^1].BytesDone.Should().Be(total);
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task WhileAWriterHoldsThePartition_InspectSaysItIsLocked()
    {
        await WriteAsync(5);
        await using var writer = await OpenAsync();

        var run = await RunAsync("inspect", PartitionDir, "--json");

        run.ExitCode.Should().Be(ExitCodes.Ok, run.ToString());
        run.Json.GetProperty("partitions")[0].GetProperty("locked").GetBoolean().Should().BeTrue();
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task MissingPathOrNoPartition_IsAUsageError_WithAJsonErrorDocument()
    {
        var missing = await RunAsync("inspect", Temp.Combine("nope"), "--json");
        var empty = await RunAsync("verify", Temp.Path);

        missing.ExitCode.Should().Be(ExitCodes.Usage);
        var error = missing.Json.GetProperty("error");
        error.GetProperty("kind").GetString().Should().Be("usage");
        error.GetProperty("message").GetString().Should().Contain("does not exist");
        missing.Json.GetProperty("exitCode").GetInt32().Should().Be(ExitCodes.Usage);
        empty.ExitCode.Should().Be(ExitCodes.Usage);
        empty.Stderr.Should().Contain("No partition found");
        empty.Stdout.Should().BeEmpty();
    }

    private sealed class ListProgress(List<InspectionProgress> list) : IProgress<InspectionProgress>
    {
        public void Report(InspectionProgress value) => list.Add(value);
    }

    internal static JsonElement Segment(CliRun run, int index) => run.Json.GetProperty("partitions")[0].GetProperty("segments")[index];
}
