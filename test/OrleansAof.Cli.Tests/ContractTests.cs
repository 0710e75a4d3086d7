using OrleansAof.TestInfrastructure;

namespace OrleansAof.Cli.Tests;

/// <summary>Output contracts shared by the commands: plain text free of markup, JSON errors for parse errors, help that matches the behaviour.</summary>
public sealed class ContractTests : CliTestBase
{
    [Theory]
    [Trait(TestCategories.Name, TestCategories.FaultInjection)]
    [InlineData("verify")]
    [InlineData("inspect")]
    public async Task PlainOutputOfADamagedPartition_HasNoSpectreMarkup(string command)
    {
        // A truncated sealed segment (damage, a gap) and a quarantine-worthy finding: every coloured line is printed.
        await WriteAsync(40);
        Truncate(SegmentPath(17), RecordOffset(10) + 100);

        var run = await RunAsync(command, PartitionDir);

        run.ExitCode.Should().Be(ExitCodes.Findings, run.ToString());
        run.Stdout.Should().Contain("orders/0").And.Contain("Damaged").And.Contain("1 damaged");
        run.Stdout.Should().NotContain("[/]", run.Stdout).And.NotContain("[yellow]").And.NotContain("[red]").And.NotContain("[green]").And.NotContain("[bold]");
        run.Stdout.Should().NotContain("\u001b[", "plain output has no escape sequences");
    }

    [Theory]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    [InlineData("verify")]
    [InlineData("inspect")]
    public async Task PlainOutputOfAPartitionAWriterHolds_SaysSo_WithoutSpectreMarkup(string command)
    {
        await WriteAsync(5);
        await using var writer = await OpenAsync();

        var run = await RunAsync(command, PartitionDir);

        run.ExitCode.Should().Be(ExitCodes.Ok, run.ToString());
        run.Stdout.Should().Contain("writer lock: held by a writer").And.Contain("A writer holds the partition");
        run.Stdout.Should().NotContain("[/]", run.Stdout).And.NotContain("[yellow]");
    }

    [Theory]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    [InlineData("--json")]
    [InlineData("--json=true")]
    [InlineData("--json:true")]
    [InlineData("--json", "true")]
    public async Task ParseError_WithJson_PrintsTheJsonErrorDocument_AndExitsTwo(params string[] json)
    {
        // verify without its path argument: a parse error, reported before any command runs.
        var run = await RunAsync(["verify", .. json]);

        run.ExitCode.Should().Be(ExitCodes.Usage, run.ToString());
        var error = run.Json.GetProperty("error");
        error.GetProperty("kind").GetString().Should().Be("usage");
        error.GetProperty("message").GetString().Should().Be("Required argument 'path' missing for command: 'verify'.");
        run.Json.GetProperty("exitCode").GetInt32().Should().Be(ExitCodes.Usage);
        run.Stderr.Should().Contain("Required argument 'path' missing");
    }

    [Theory]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    [InlineData("--json=false")]
    [InlineData("--json", "false")]
    public async Task ParseError_WithJsonFalse_PrintsNoJson(params string[] json)
    {
        var run = await RunAsync(["verify", .. json]);

        run.ExitCode.Should().Be(ExitCodes.Usage, run.ToString());
        run.Stdout.Should().BeEmpty();
        run.Stderr.Should().Contain("Required argument 'path' missing");
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task ReadHelp_SaysIdsPastTheTailAreRefused_AsTheReadDoes()
    {
        // ClusterCommandTests.Read_AReversedOrOutOfRangeRange_IsATypedUsageErrorAndChangesNothing checks the refusal itself.
        var run = await RunAsync("read", "--help");

        run.ExitCode.Should().Be(ExitCodes.Ok, run.ToString());
        var help = string.Join(' ', run.Stdout.Split((char[])['\n', ' '], StringSplitOptions.RemoveEmptyEntries));
        help.Should().NotContain("clamp");
        help.Should().Contain("An id past the partition's next id is refused (exit 2, nothing read).");
    }
}
