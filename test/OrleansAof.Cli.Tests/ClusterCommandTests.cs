using System.Text;
using System.Text.Json;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Cli.Tests;

/// <summary>The cluster commands against a real two-silo cluster, through the same entry point as the tool.</summary>
[Collection(ClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class ClusterCommandTests(TwoSiloCluster cluster)
{
    private static string NewLog() => "cli-" + Guid.NewGuid().ToString("N")[..12];

    private Task<CliRun> RunAsync(params string[] args) => RunAsync(stdin: null, args);

    private Task<CliRun> RunAsync(byte[]? stdin, params string[] args) => cluster.RunAsync(stdin, args);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static long[] Ids(JsonElement batch) => [batch.GetProperty("firstId").GetInt64(), batch.GetProperty("lastId").GetInt64()];

    private async Task<List<(long Id, byte[] Payload)>> ReadAllAsync(string log, string partition)
    {
        var batch = await cluster.Logs.GetLog(log).ReadAsync(partition, 0, 10_000);
        return [.. batch.Records.Select(static r => (r.Id, r.Payload.ToArray()))];
    }

    [Fact]
    public async Task Append_FromStdin_GivesDenseIdsPerBatchAndTheBytesOfEachLine()
    {
        var log = NewLog();

        var run = await RunAsync(Utf8("alpha\nbeta\n\ndelta\r\nlast"), "append", "--log", log, "--partition", "0", "--batch", "2", "--json");

        run.ExitCode.Should().Be(ExitCodes.Ok, run.ToString());
        var json = run.Json;
        json.GetProperty("partition").GetString().Should().Be("0");
        json.GetProperty("records").GetInt64().Should().Be(5);
        json.GetProperty("appended").GetInt64().Should().Be(5);
        json.GetProperty("duplicates").GetInt64().Should().Be(0);
        json.GetProperty("firstId").GetInt64().Should().Be(0);
        json.GetProperty("lastId").GetInt64().Should().Be(4);
        var batches = json.GetProperty("batches").EnumerateArray().ToList();
        batches.Select(Ids).Should().BeEquivalentTo(new[] { new long[] { 0, 1 }, [2, 3], [4, 4] }, o => o.WithStrictOrdering());
        batches.Select(static b => b.GetProperty("outcome").GetString()).Should().Equal("Appended", "Appended", "Appended");
        batches.Should().OnlyContain(static b => b.GetProperty("durable").GetBoolean());
        (await ReadAllAsync(log, "0")).Select(static r => (r.Id, Encoding.UTF8.GetString(r.Payload)))
            .Should().Equal((0L, "alpha"), (1L, "beta"), (2L, ""), (3L, "delta\r"), (4L, "last"));
    }

    [Fact]
    public async Task Append_OfAnEmptyInputOrAFolder_IsRefusedWithExit2_SayingNothingWasAppended()
    {
        var log = NewLog();
        var empty = await RunAsync(Array.Empty<byte>(), "append", "--log", log, "--partition", "0", "--json");
        empty.ExitCode.Should().Be(ExitCodes.Usage, empty.ToString());
        empty.Json.GetProperty("error").GetProperty("message").GetString().Should().Contain("The input holds no record, so nothing was appended");

        var plain = await RunAsync(Array.Empty<byte>(), "append", "--log", log, "--partition", "0");
        plain.ExitCode.Should().Be(ExitCodes.Usage, plain.ToString());
        (plain.Stdout + plain.Stderr).Should().Contain("nothing was appended").And.NotContain("durable").And.NotContain("rerun");

        var folder = await RunAsync("append", "--log", log, "--partition", "0", "--file", Path.GetTempPath());
        folder.ExitCode.Should().Be(ExitCodes.Usage, folder.ToString());
        (folder.Stdout + folder.Stderr).Should().Contain("is a folder, not a file; nothing was appended").And.NotContain("denied");
    }

    [Fact]
    public async Task Append_RerunWithTheSameProducerId_AppendsNothingTwiceAndFinishesAnInterruptedRun()
    {
        var log = NewLog();
        const string producer = "4242";
        var firstHalf = Utf8("r0\nr1\n");
        var whole = Utf8("r0\nr1\nr2\nr3\nr4\n");

        // An interrupted run: only its first batch went in.
        var first = await RunAsync(firstHalf, "append", "--log", log, "--partition", "0", "--batch", "2", "--producer-id", producer, "--json");
        var finish = await RunAsync(whole, "append", "--log", log, "--partition", "0", "--batch", "2", "--producer-id", producer, "--json");
        var again = await RunAsync(whole, "append", "--log", log, "--partition", "0", "--batch", "2", "--producer-id", producer, "--json");

        first.ExitCode.Should().Be(ExitCodes.Ok, first.ToString());
        first.Json.GetProperty("producerId").GetInt64().Should().Be(4242);
        finish.ExitCode.Should().Be(ExitCodes.Ok, finish.ToString());
        var finished = finish.Json.GetProperty("batches").EnumerateArray().ToList();
        finished.Select(static b => b.GetProperty("outcome").GetString()).Should().Equal("Duplicate", "Appended", "Appended");
        finished.Select(Ids).Should().BeEquivalentTo(new[] { new long[] { 0, 1 }, [2, 3], [4, 4] }, o => o.WithStrictOrdering());
        finish.Json.GetProperty("appended").GetInt64().Should().Be(3);
        finish.Json.GetProperty("duplicates").GetInt64().Should().Be(2);

        again.ExitCode.Should().Be(ExitCodes.Ok, again.ToString());
        var repeated = again.Json.GetProperty("batches").EnumerateArray().ToList();
        repeated.Select(static b => b.GetProperty("outcome").GetString()).Should().Equal("AlreadyAppended", "AlreadyAppended", "Duplicate");
        repeated[2].GetProperty("firstId").GetInt64().Should().Be(4);
        repeated[0].GetProperty("firstId").ValueKind.Should().Be(JsonValueKind.Null, "the partition only remembers the producer's newest batch");
        again.Json.GetProperty("appended").GetInt64().Should().Be(0);

        (await ReadAllAsync(log, "0")).Select(static r => Encoding.UTF8.GetString(r.Payload)).Should().Equal("r0", "r1", "r2", "r3", "r4");
    }

    [Fact]
    public async Task Append_FromAFileWithoutDelimiter_IsOneRecordWithTheExactBytes_AndKeyRoutesLikeTheClient()
    {
        var log = NewLog();
        var bytes = new byte[] { 0, 10, 255, 13, 10, 65, 0xC3, 0x28, 10 };
        using var temp = new TempDirectory("cli-append");
        var file = temp.Combine("record.bin");
        await File.WriteAllBytesAsync(file, bytes);
        var handle = cluster.Logs.GetLog("keyed");
        var routed = handle.PartitionFor("customer-17");

        var single = await RunAsync("append", "--log", log, "--partition", "3", "--file", file, "--delimiter", "none", "--json");
        var keyed = await RunAsync(Utf8("k1\n"), "append", "--log", "keyed", "--key", "customer-17", "--partitions", "4", "--json");

        single.ExitCode.Should().Be(ExitCodes.Ok, single.ToString());
        single.Json.GetProperty("records").GetInt64().Should().Be(1);
        (await ReadAllAsync(log, "3")).Should().ContainSingle().Which.Payload.Should().Equal(bytes);
        keyed.ExitCode.Should().Be(ExitCodes.Ok, keyed.ToString());
        keyed.Json.GetProperty("partition").GetString().Should().Be(routed);
    }

    [Fact]
    public async Task Read_ReturnsTheExactBytesInEveryFormat_ForwardBackwardAndToAnId()
    {
        var log = NewLog();
        var payloads = Enumerable.Range(0, 6).Select(static i => new byte[] { (byte)('a' + i), 0xFF, (byte)i, 10 }).ToArray();
        await cluster.Logs.GetLog(log).AppendBatchAsync("0", RecordPayloads.From(payloads));

        var base64 = await RunAsync("read", "--log", log, "--partition", "0", "--from", "1", "--count", "3", "--format", "base64", "--json");
        var hex = await RunAsync("read", "--log", log, "--partition", "0", "--from", "4", "--to", "5", "--format", "hex", "--json");
        var backward = await RunAsync("read", "--log", log, "--partition", "0", "--from", "5", "--to", "3", "--backward", "--format", "base64", "--json");
        var text = await RunAsync("read", "--log", log, "--partition", "0", "--from", "0", "--count", "2");

        base64.ExitCode.Should().Be(ExitCodes.Ok, base64.ToString());
        var records = base64.Json.GetProperty("records").EnumerateArray().ToList();
        records.Select(static r => r.GetProperty("id").GetInt64()).Should().Equal(1, 2, 3);
        records.Select(static r => Convert.FromBase64String(r.GetProperty("payload").GetString()!)).Should().BeEquivalentTo(payloads[1..4], o => o.WithStrictOrdering());
        records.Should().OnlyContain(static r => r.GetProperty("size").GetInt32() == 4);
        base64.Json.GetProperty("nextId").GetInt64().Should().Be(4);
        hex.Json.GetProperty("records").EnumerateArray().Select(static r => r.GetProperty("payload").GetString()).Should().Equal(
            Convert.ToHexStringLower(payloads[4]), Convert.ToHexStringLower(payloads[5]));
        var back = backward.Json.GetProperty("records").EnumerateArray().ToList();
        back.Select(static r => r.GetProperty("id").GetInt64()).Should().Equal(5, 4, 3);
        back.Select(static r => Convert.FromBase64String(r.GetProperty("payload").GetString()!)).Should().BeEquivalentTo(new[] { payloads[5], payloads[4], payloads[3] }, o => o.WithStrictOrdering());
        backward.Json.GetProperty("nextId").GetInt64().Should().Be(2);
        text.ExitCode.Should().Be(ExitCodes.Ok, text.ToString());
        var lines = text.Stdout.Split('\n');
        lines[0].Should().StartWith("0\t").And.EndWith("\ta\uFFFD\u0000");
        lines[1].Should().Be("", "the payload's own \\n ends the first line");
        lines[2].Should().StartWith("1\t");
    }

    [Fact]
    public async Task Read_AReversedOrOutOfRangeRange_IsATypedUsageErrorAndChangesNothing()
    {
        var log = NewLog();
        await cluster.Logs.GetLog(log).AppendBatchAsync("0", RecordPayloads.From(Utf8("a"), Utf8("b"), Utf8("c")));
        var before = await cluster.Logs.GetLog(log).GetInfoAsync("0");

        var reversed = await RunAsync("read", "--log", log, "--partition", "0", "--from", "2", "--to", "1", "--json");
        var reversedBackward = await RunAsync("read", "--log", log, "--partition", "0", "--from", "1", "--to", "2", "--backward");
        var beyond = await RunAsync("read", "--log", log, "--partition", "0", "--from", "4", "--json");
        var zero = await RunAsync("read", "--log", log, "--partition", "0", "--from", "0", "--count", "0", "--json");

        reversed.ExitCode.Should().Be(ExitCodes.Usage, reversed.ToString());
        reversed.Json.GetProperty("error").GetProperty("kind").GetString().Should().Be("usage");
        reversed.Json.GetProperty("error").GetProperty("message").GetString().Should().Contain("reversed");
        reversedBackward.ExitCode.Should().Be(ExitCodes.Usage);
        reversedBackward.Stderr.Should().Contain("reversed");
        beyond.ExitCode.Should().Be(ExitCodes.Usage, beyond.ToString());
        beyond.Json.GetProperty("error").GetProperty("message").GetString().Should().Contain("beyond the tail").And.Contain("3");
        zero.ExitCode.Should().Be(ExitCodes.Usage);
        (await cluster.Logs.GetLog(log).GetInfoAsync("0")).Should().BeEquivalentTo(before, "a refused read changes nothing");
    }

    [Fact]
    public async Task BadPartitionName_IsATypedUsageError_AndNothingIsCreated()
    {
        var log = NewLog();

        var append = await RunAsync(Utf8("x\n"), "append", "--log", log, "--partition", "../escape", "--json");
        var status = await RunAsync("status", "--log", log + "/0", "--json");
        var read = await RunAsync("read", "--log", log, "--partition", "a b", "--from", "0");

        append.ExitCode.Should().Be(ExitCodes.Usage, append.ToString());
        append.Json.GetProperty("error").GetProperty("kind").GetString().Should().Be("usage");
        append.Json.GetProperty("error").GetProperty("message").GetString().Should().Contain("'../escape' is not a valid log or partition name");
        status.ExitCode.Should().Be(ExitCodes.Usage, status.ToString());
        read.ExitCode.Should().Be(ExitCodes.Usage, read.ToString());
        read.Stderr.Should().Contain("the character ' ' is not allowed");
        cluster.SiloNames.Should().NotContain(s => Directory.Exists(Path.Combine(cluster.Data.Path, s, log)), "bad input creates nothing");
    }

    [Fact]
    public async Task CommandsOtherThanAppend_OnAPartitionNoSiloHolds_ExitNotFoundAndCreateNothing()
    {
        var log = NewLog();

        var runs = new[]
        {
            await RunAsync("read", "--log", log, "--partition", "0", "--from", "0", "--json"),
            await RunAsync("tail", "--log", log, "--partition", "0", "--json"),
            await RunAsync("flush", "--log", log, "--partition", "0", "--json"),
            await RunAsync("seal", "--log", log, "--partition", "0", "--json"),
            await RunAsync("status", "--log", log, "--partition", "0", "--json"),
        };

        runs.Should().OnlyContain(static r => r.ExitCode == ExitCodes.NotFound);
        runs.Should().OnlyContain(static r => r.Json.GetProperty("error").GetProperty("kind").GetString() == "not-found");
        runs[0].Stderr.Should().Contain($"No active silo holds partition {log}/0; nothing was created");
        cluster.AnySiloHasDirectory(log, "0").Should().BeFalse();
    }

    [Fact]
    public async Task Status_AfterAppendsAndASeal_ShowsExactIdsSegmentStatusesAndSizes()
    {
        var log = NewLog();
        var owner = cluster.OwnerOf(log, "0");
        var other = cluster.SiloNames.Single(s => s != owner);

        var appended = await RunAsync(Utf8("one\ntwo\nthree\nfour\nfive\n"), "append", "--log", log, "--partition", "0", "--json");
        var seal = await RunAsync("seal", "--log", log, "--partition", "0", "--json");
        var more = await RunAsync(Utf8("six\nseven\neight\n"), "append", "--log", log, "--partition", "0", "--json");
        var flush = await RunAsync("flush", "--log", log, "--partition", "0", "--json");
        var status = await RunAsync("status", "--log", log, "--partition", "0", "--json");
        var human = await RunAsync("status", "--log", log, "--partition", "0");

        appended.ExitCode.Should().Be(ExitCodes.Ok, appended.ToString());
        more.Json.GetProperty("firstId").GetInt64().Should().Be(5);
        seal.ExitCode.Should().Be(ExitCodes.Ok, seal.ToString());
        var sealedSegment = seal.Json.GetProperty("sealed");
        sealedSegment.GetProperty("baseId").GetInt64().Should().Be(0);
        sealedSegment.GetProperty("lastId").GetInt64().Should().Be(4);
        sealedSegment.GetProperty("status").GetString().Should().Be("Sealed");
        flush.Json.GetProperty("durableId").GetInt64().Should().Be(7);

        status.ExitCode.Should().Be(ExitCodes.Ok, status.ToString());
        var silos = status.Json.GetProperty("silos").EnumerateArray().ToList();
        silos.Select(static s => s.GetProperty("name").GetString()).Should().Equal(cluster.SiloNames);
        silos.Should().OnlyContain(static s => s.GetProperty("status").GetString() == "Active");
        silos.Select(static s => s.GetProperty("gatewayPort").GetInt32()).Should().Equal(cluster.GatewayPorts);
        silos.Single(s => s.GetProperty("name").GetString() == owner).GetProperty("partitions").GetInt32().Should().Be(1);
        silos.Single(s => s.GetProperty("name").GetString() == other).GetProperty("partitions").GetInt32().Should().Be(0);

        var p = status.Json.GetProperty("partitions").EnumerateArray().Single();
        p.GetProperty("exists").GetBoolean().Should().BeTrue();
        p.GetProperty("silo").GetString().Should().Be(owner);
        p.GetProperty("heldBy").EnumerateArray().Select(static h => h.GetProperty("silo").GetString()).Should().Equal(owner);
        p.GetProperty("state").GetString().Should().Be("Open");
        p.GetProperty("firstId").GetInt64().Should().Be(0);
        p.GetProperty("lastId").GetInt64().Should().Be(7);
        p.GetProperty("durableId").GetInt64().Should().Be(7);
        p.GetProperty("nextId").GetInt64().Should().Be(8);
        p.GetProperty("writerEpoch").GetInt64().Should().BeGreaterThan(0);
        p.GetProperty("flushPolicy").GetString().Should().Be("Sync");
        var segments = p.GetProperty("segments").EnumerateArray().ToList();
        segments.Select(static s => (s.GetProperty("baseId").GetInt64(), s.GetProperty("lastId").GetInt64(), s.GetProperty("recordCount").GetInt64(), s.GetProperty("status").GetString()))
            .Should().Equal((0L, 4L, 5L, "Sealed"), (5L, 7L, 3L, "Active"));
        var sealedFile = Path.Combine(cluster.PartitionDirectory(owner, log, "0"), "segments", segments[0].GetProperty("fileName").GetString()!);
        segments[0].GetProperty("sizeBytes").GetInt64().Should().Be(new FileInfo(sealedFile).Length, "a sealed segment's size is its file's");
        segments[0].GetProperty("sealedAt").ValueKind.Should().Be(JsonValueKind.String);
        segments[1].GetProperty("sealedAt").ValueKind.Should().Be(JsonValueKind.Null);
        var flushStats = p.GetProperty("flush");
        flushStats.GetProperty("recordsFlushed").GetInt64().Should().Be(8, "under Sync every record was made durable by a flush of this activation");
        flushStats.GetProperty("failedFlushes").GetInt64().Should().Be(0);
        flushStats.GetProperty("pendingRecords").GetInt64().Should().Be(0);

        human.ExitCode.Should().Be(ExitCodes.Ok, human.ToString());
        human.Stdout.Should().Contain($"{log}/0  served by {owner}").And.Contain("ids: 0..7   durable: 7   next id: 8").And.Contain("Sealed").And.Contain("Active");
    }

    [Fact]
    public async Task Status_OfALog_ListsItsPartitionsAndWithPartitionsShowsTheMissingOnesWithoutCreatingThem()
    {
        var log = NewLog();
        var handle = cluster.Logs.GetLog(log);
        await handle.AppendToPartitionAsync("0", Utf8("a"));
        await handle.AppendToPartitionAsync("2", Utf8("b"));
        await handle.AppendToPartitionAsync("10", Utf8("c"));

        var whole = await RunAsync("status", "--log", log, "--json");
        var counted = await RunAsync("status", "--log", log, "--partitions", "4", "--json");
        var overview = await RunAsync("status", "--json");

        whole.ExitCode.Should().Be(ExitCodes.Ok, whole.ToString());
        whole.Json.GetProperty("partitions").EnumerateArray().Select(static p => p.GetProperty("partition").GetString()).Should().Equal("0", "2", "10");
        var rows = counted.Json.GetProperty("partitions").EnumerateArray().ToList();
        rows.Select(static p => (p.GetProperty("partition").GetString(), p.GetProperty("exists").GetBoolean())).Should().Equal(("0", true), ("1", false), ("2", true), ("3", false));
        rows[1].GetProperty("state").ValueKind.Should().Be(JsonValueKind.Null);
        counted.ExitCode.Should().Be(ExitCodes.Ok, "a partition nothing was appended to yet is not an error");
        cluster.AnySiloHasDirectory(log, "1").Should().BeFalse();
        cluster.AnySiloHasDirectory(log, "3").Should().BeFalse();
        overview.ExitCode.Should().Be(ExitCodes.Ok, overview.ToString());
        var summary = overview.Json.GetProperty("logs").EnumerateArray().Single(l => l.GetProperty("log").GetString() == log);
        summary.GetProperty("partitions").GetInt32().Should().Be(3);
        summary.GetProperty("open").GetInt32().Should().Be(3);
    }

    [Fact]
    public async Task Flush_UnderAsync_MakesEveryAppendedRecordDurable()
    {
        var log = NewLog();
        var grain = cluster.Logs.GetLog(log).Partition("0");
        await grain.AppendAsync(Utf8("first"));
        await grain.SetFlushPolicyAsync(LogFlushPolicy.Async);
        for (var i = 0; i < 4; i++)
        {
            (await grain.AppendAsync(Utf8($"async {i}"))).IsDurable.Should().BeFalse();
        }

        var before = await RunAsync("status", "--log", log, "--partition", "0", "--json");
        var flush = await RunAsync("flush", "--log", log, "--partition", "0", "--json");
        var after = await grain.GetInfoAsync();

        var row = before.Json.GetProperty("partitions")[0];
        row.GetProperty("flushPolicy").GetString().Should().Be("Async");
        row.GetProperty("lastId").GetInt64().Should().Be(4);
        row.GetProperty("durableId").GetInt64().Should().Be(0);
        row.GetProperty("flush").GetProperty("pendingRecords").GetInt64().Should().Be(4);
        flush.ExitCode.Should().Be(ExitCodes.Ok, flush.ToString());
        flush.Json.GetProperty("durableId").GetInt64().Should().Be(4);
        after.DurableId.Should().Be(4);
    }

    [Fact]
    public async Task Seal_OfAnEmptyActiveSegment_SealsNothing()
    {
        var log = NewLog();
        await cluster.Logs.GetLog(log).AppendToPartitionAsync("0", Utf8("x"));
        var first = await RunAsync("seal", "--log", log, "--partition", "0", "--json");

        var second = await RunAsync("seal", "--log", log, "--partition", "0");

        first.Json.GetProperty("sealed").GetProperty("recordCount").GetInt64().Should().Be(1);
        second.ExitCode.Should().Be(ExitCodes.Ok, second.ToString());
        second.Stdout.Should().Be($"{log}/0: the active segment is empty, nothing to seal\n");
    }

    [Fact]
    public async Task Tail_WithoutFollow_PrintsTheLastRecordsUpToTheDurableEnd()
    {
        var log = NewLog();
        await cluster.Logs.GetLog(log).AppendBatchAsync("0", RecordPayloads.From([.. Enumerable.Range(0, 15).Select(i => Utf8($"line {i}"))]));

        var last = await RunAsync("tail", "--log", log, "--partition", "0", "--json");
        var from = await RunAsync("tail", "--log", log, "--partition", "0", "--from", "12", "--format", "base64", "--json");
        var three = await RunAsync("tail", "--log", log, "--partition", "0", "-n", "3");

        last.ExitCode.Should().Be(ExitCodes.Ok, last.ToString());
        last.Json.GetProperty("records").EnumerateArray().Select(static r => r.GetProperty("id").GetInt64()).Should().Equal(Enumerable.Range(5, 10).Select(static i => (long)i));
        last.Json.GetProperty("nextId").GetInt64().Should().Be(15);
        from.Json.GetProperty("records").EnumerateArray().Select(static r => Encoding.UTF8.GetString(Convert.FromBase64String(r.GetProperty("payload").GetString()!)))
            .Should().Equal("line 12", "line 13", "line 14");
        three.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(static l => l.Split('\t')).Select(static f => (f[0], f[2]))
            .Should().Equal(("12", "line 12"), ("13", "line 13"), ("14", "line 14"));
    }

    [Fact]
    public async Task TailFollow_PrintsRecordsAppendedAfterItStarted_OneJsonObjectPerLine_AndEndsWithZeroOnCancel()
    {
        var log = NewLog();
        var handle = cluster.Logs.GetLog(log);
        await handle.AppendToPartitionAsync("0", Utf8("before"));
        var stdout = new ConcurrentWriter();
        var stderr = new ConcurrentWriter();
        using var stop = new CancellationTokenSource();
        var environment = new CliEnvironment { Out = stdout, Error = stderr, OutputIsTerminal = false };
        var tail = AofCli.RunAsync(["tail", "--log", log, "--partition", "0", "-f", "--json", .. cluster.ConnectionArgs], environment, stop.Token);

        await Wait.UntilAsync(() => stdout.Text.Contains("\"payload\":\"before\"", StringComparison.Ordinal) || tail.IsCompleted, "tail -f printed the record appended before it started");
        tail.IsCompleted.Should().BeFalse(stderr.Text);
        for (var i = 0; i < 3; i++)
        {
            (await handle.AppendToPartitionAsync("0", Utf8($"after {i}"))).FirstId.Should().Be(1 + i);
        }

        await Wait.UntilAsync(() => stdout.Text.Contains("\"payload\":\"after 2\"", StringComparison.Ordinal) || tail.IsCompleted, "tail -f printed the records appended after it started");
        await stop.CancelAsync();
        var code = await Wait.ForAsync(tail, "tail -f to end after cancellation");

        code.Should().Be(ExitCodes.Ok, stderr.Text);
        var lines = stdout.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Select(static l => JsonDocument.Parse(l).RootElement).Select(static r => (r.GetProperty("id").GetInt64(), r.GetProperty("payload").GetString()))
            .Should().Equal((0L, "before"), (1L, "after 0"), (2L, "after 1"), (3L, "after 2"));
    }

    [Fact]
    public async Task UnreachableCluster_ExitsWithTheUnreachableCode()
    {
        var stdout = new ConcurrentWriter();
        var stderr = new ConcurrentWriter();
        var port = FreePort.Find();
        var environment = new CliEnvironment { Out = stdout, Error = stderr, OutputIsTerminal = false };

        var code = await AofCli.RunAsync(["status", "--gateway", $"127.0.0.1:{port}", "--connect-timeout", "1s", "--json"], environment);

        code.Should().Be(ExitCodes.Unreachable, stderr.Text);
        var error = JsonDocument.Parse(stdout.Text).RootElement;
        error.GetProperty("exitCode").GetInt32().Should().Be(ExitCodes.Unreachable);
        error.GetProperty("error").GetProperty("kind").GetString().Should().Be("unreachable");
        error.GetProperty("error").GetProperty("message").GetString().Should().StartWith($"Could not connect to gateway 127.0.0.1:{port}").And.Contain("within 1 s");
    }

    [Fact]
    public async Task ConnectionOptions_GatewayAndRedisTogether_IsAUsageErrorWithAJsonDocument()
    {
        var stdout = new ConcurrentWriter();
        var environment = new CliEnvironment { Out = stdout, Error = new ConcurrentWriter(), OutputIsTerminal = false };

        var code = await AofCli.RunAsync(["status", "--gateway", "127.0.0.1:1", "--redis", "127.0.0.1:6379", "--json"], environment);

        code.Should().Be(ExitCodes.Usage);
        var error = JsonDocument.Parse(stdout.Text).RootElement.GetProperty("error");
        error.GetProperty("kind").GetString().Should().Be("usage");
        error.GetProperty("message").GetString().Should().Contain("Use either --gateway or --redis, not both.");
    }
}
