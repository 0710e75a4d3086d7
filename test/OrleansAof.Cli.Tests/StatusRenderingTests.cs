using System.Text.Json;
using OrleansAof.Cli.Cluster;
using OrleansAof.Cli.Commands;
using OrleansAof.TestInfrastructure;
using Spectre.Console;

namespace OrleansAof.Cli.Tests;

/// <summary>
/// <c>aof status</c> shows segment statuses exactly as the partition reports them, archival ones included (Sealed,
/// Archiving, Archived, LocalEvicted), and its exit code follows what it found.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class StatusRenderingTests
{
    private static readonly string[] Statuses = ["LocalEvicted", "Archived", "Archiving", "Sealed", "Quarantined", "Active"];

    private static StatusDocument Status(string state = "Open", params string[] statuses) => Status(state, null, statuses);

    private static StatusDocument Status(string state, ArchiveDocument? archive, params string[] statuses)
    {
        var time = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var segments = statuses.Select((s, i) => new SegmentSummary(i * 10, (i * 10) + 9, 10, s, 1000 + i, time, s == "Active" ? null : time, 1, $"{i * 10:D20}.aofseg")).ToList();
        var partition = new PartitionStatusDocument("orders", "0", true, [new PartitionHolder("aof-0", true)], "aof-0", state, null, 0, (statuses.Length * 10) - 1,
            (statuses.Length * 10) - 1, statuses.Length * 10, 3, "Sync", segments, new FlushDocument(1, 0, 1, 10, 0, 1, 1, 0.5, 0.9), null, archive);
        var silo = new SiloDocument("aof-0", "127.0.0.1:11111", 1, "Active", "host", 30000, time, time, "/data", 1, 1, null);
        return new StatusDocument("gateway 127.0.0.1:30000 (cluster id 'aof')", [silo], "orders", [new LogSummary("orders", 1, 1)], [partition]);
    }

    private static string Render(StatusDocument status)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 200;
        ClusterRenderer.Render(console, status);
        return writer.ToString();
    }

    [Fact]
    public void HumanOutput_ShowsEverySegmentStatusAsReported()
    {
        var text = Render(Status("Open", Statuses));

        // Segment rows: they start with the base id and carry a size in bytes.
        var rows = text.Split('\n').Select(static l => l.Trim()).Where(static l => l.Length > 0 && char.IsAsciiDigit(l[0]) && l.Contains(" B ", StringComparison.Ordinal)).ToList();
        rows.Select(static r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]).Should().Equal(Statuses);
        text.Should().Contain("ids: 0..59   durable: 59   next id: 60   epoch: 3   flush policy: Sync");
    }

    [Fact]
    public void JsonOutput_CarriesEverySegmentStatusAsReported()
    {
        var json = JsonSerializer.Serialize(Status("Open", Statuses), CliJsonContext.Output.StatusDocument);

        using var doc = JsonDocument.Parse(json);
        doc.RootElement.GetProperty("partitions")[0].GetProperty("segments").EnumerateArray().Select(static s => s.GetProperty("status").GetString())
            .Should().Equal(Statuses);
    }

    [Fact]
    public void ExitCode_IsOneForAQuarantinedSegmentOrAFaultedPartition_AndZeroOtherwise()
    {
        StatusCommand.ExitCodeFor(Status("Open", "LocalEvicted", "Archived", "Archiving", "Sealed", "Active")).Should().Be(ExitCodes.Ok);
        StatusCommand.ExitCodeFor(Status("Open", Statuses)).Should().Be(ExitCodes.Findings);
        StatusCommand.ExitCodeFor(Status("Faulted", "Sealed", "Active")).Should().Be(ExitCodes.Findings);
    }

    private static readonly ArchiveDocument Failing = new(
        true, 4, 40_000, 3, 1_000_000, true, "The archive is unavailable (Unreachable): HttpRequestException: Connection refused", new DateTimeOffset(2026, 1, 2, 3, 0, 0, TimeSpan.Zero), 7);

    [Fact]
    public void HumanOutput_ShowsTheArchiveBacklogAndTheArchivalError()
    {
        var text = Render(Status("Open", Failing, "Sealed", "Sealed", "Sealed", "Sealed", "Active"));

        text.Should().Contain("archive backlog: 4 segment(s), 39.1 KiB (bound 3 segment(s), 976.6 KiB)");
        text.Should().Contain("appends refused until archiving catches up");
        text.Should().Contain("archiving fails since 01-02 03:00:00 UTC (7 failed run(s)): The archive is unavailable (Unreachable): HttpRequestException: Connection refused");
    }

    [Fact]
    public void JsonOutput_CarriesTheArchiveState()
    {
        var json = JsonSerializer.Serialize(Status("Open", Failing, "Sealed", "Active"), CliJsonContext.Output.StatusDocument);

        using var doc = JsonDocument.Parse(json);
        var archive = doc.RootElement.GetProperty("partitions")[0].GetProperty("archive");
        archive.GetProperty("backlogSegments").GetInt32().Should().Be(4);
        archive.GetProperty("maxBacklogSegments").GetInt32().Should().Be(3);
        archive.GetProperty("refusesAppends").GetBoolean().Should().BeTrue();
        archive.GetProperty("error").GetString().Should().StartWith("The archive is unavailable (Unreachable)");
        archive.GetProperty("failedRuns").GetInt32().Should().Be(7);
    }

    [Fact]
    public void ArchiveUnavailable_IsReportedAsUnavailable_ExitSeven()
    {
        var failure = CommandOutput.Classify(new ArchiveUnavailableException(ArchiveUnavailableReason.AccessDenied, "s3://b", "AmazonS3Exception 403 InvalidAccessKeyId", "Partition 'orders/0': the archive is unavailable (AccessDenied)"));

        failure.Should().NotBeNull();
        failure!.ExitCode.Should().Be(ExitCodes.Unavailable);
        failure.Kind.Should().Be("unavailable");
        failure.Message.Should().Contain("ArchiveUnavailableException; retryable");
    }

    [Fact]
    public void ExitCode_IsOneWhileArchivingFailsOrTheBacklogRefusesAppends()
    {
        var healthy = new ArchiveDocument(true, 1, 100, 3, 1_000_000, false, null, null, 0);
        StatusCommand.ExitCodeFor(Status("Open", healthy, "Sealed", "Active")).Should().Be(ExitCodes.Ok);
        StatusCommand.ExitCodeFor(Status("Open", Failing, "Sealed", "Active")).Should().Be(ExitCodes.Findings);
        StatusCommand.ExitCodeFor(Status("Open", healthy with { Error = "boom", FailedRuns = 1 }, "Sealed", "Active")).Should().Be(ExitCodes.Findings);
        StatusCommand.ExitCodeFor(Status("Open", healthy with { BacklogSegments = 4, RefusesAppends = true }, "Sealed", "Active")).Should().Be(ExitCodes.Findings);
    }
}
