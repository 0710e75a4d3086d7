using System.Diagnostics;
using System.Text.Json;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Cli.Tests;

/// <summary>The built <c>aof</c> as a real process: exit codes, stdout holding exactly one JSON document, stderr.</summary>
public sealed class ProcessTests : CliTestBase
{
    private static async Task<CliRun> RunProcessAsync(params string[] args)
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "aof.dll");
        File.Exists(tool).Should().BeTrue("the test project references the tool, so the build copies it beside the tests");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(tool);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await Wait.ForAsync(process.WaitForExitAsync(), "the aof process to exit", TimeSpan.FromMinutes(2));
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Integration)]
    public async Task RealProcess_VerifyJson_ExitsZeroOnACleanFolderAndOneOnADamagedOne()
    {
        await WriteAsync(40);

        var clean = await RunProcessAsync("verify", Temp.Path, "--json");
        FlipByte(SegmentPath(0), RecordOffset(5) + 40);
        var damaged = await RunProcessAsync("verify", Temp.Path, "--json");
        var human = await RunProcessAsync("verify", Temp.Path);

        clean.ExitCode.Should().Be(ExitCodes.Ok, clean.ToString());
        clean.Stderr.Should().BeEmpty();
        using (var doc = JsonDocument.Parse(clean.Stdout))
        {
            doc.RootElement.GetProperty("health").GetString().Should().Be("Clean");
        }

        damaged.ExitCode.Should().Be(ExitCodes.Findings, damaged.ToString());
        var damage = damaged.Json.GetProperty("partitions")[0].GetProperty("segments")[0].GetProperty("damage");
        damage.GetProperty("offset").GetInt64().Should().Be(RecordOffset(5));
        human.ExitCode.Should().Be(ExitCodes.Findings);
        human.Stdout.Should().Contain("damage at offset " + RecordOffset(5)).And.NotContain("\u001b[", "no colours or progress bars when stdout is not a terminal");
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Integration)]
    public async Task RealProcess_RepairWithoutYes_ExitsFourAndChangesNothing()
    {
        await WriteAsync(40);
        FlipByte(SegmentPath(34), RecordOffset(1) + 40);
        var before = Snapshot();

        var run = await RunProcessAsync("repair", PartitionDir, "--cut-at-damage");

        run.ExitCode.Should().Be(ExitCodes.ConfirmationRequired, run.ToString());
        run.Stdout.Should().Contain("ids 35..39 (5 record(s)) would be lost");
        Snapshot().Should().BeEquivalentTo(before);
    }
}
