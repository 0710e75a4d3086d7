using System.Text;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Cli.Tests;

/// <summary>Partitions whose owner silo is down: retryable errors with their own exit code, and nothing created elsewhere.</summary>
[Collection(DownOwnerGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class UnavailableOwnerTests(ClusterWithADownOwner cluster)
{
    /// <summary>A new log and a partition of it that the down silo owns.</summary>
    private (string Log, string Partition) PartitionOfTheDownSilo()
    {
        var log = "down-" + Guid.NewGuid().ToString("N")[..12];
        var partition = Enumerable.Range(0, 64).Select(static i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .First(p => cluster.OwnerOf(log, p) == ClusterWithADownOwner.DownSilo);
        return (log, partition);
    }

    private async Task<CliRun> RunAsync(byte[]? stdin, params string[] args)
    {
        var stdout = new ConcurrentWriter();
        var stderr = new ConcurrentWriter();
        var environment = new CliEnvironment { Out = stdout, Error = stderr, OutputIsTerminal = false, OpenInput = () => new MemoryStream(stdin ?? []) };
        var code = await AofCli.RunAsync([.. args, .. cluster.ConnectionArgs], environment);
        return new CliRun(code, stdout.Text, stderr.Text);
    }

    [Fact]
    public async Task Append_ToAPartitionWhoseOwnerIsDown_ExitsUnavailable_SaysHowToRetry_AndCreatesNothing()
    {
        var (log, partition) = PartitionOfTheDownSilo();

        var run = await RunAsync(Encoding.UTF8.GetBytes("a\nb\n"), "append", "--log", log, "--partition", partition, "--producer-id", "77", "--json");

        run.ExitCode.Should().Be(ExitCodes.Unavailable, run.ToString());
        var error = run.Json.GetProperty("error");
        error.GetProperty("kind").GetString().Should().Be("unavailable");
        error.GetProperty("message").GetString().Should()
            .Contain($"its owner silo '{ClusterWithADownOwner.DownSilo}' is not an active member")
            .And.Contain("Batch 0 (2 record(s)) was not appended")
            .And.Contain($"Nothing was appended to {log}/{partition} by this run")
            .And.Contain("--producer-id 77");
        cluster.AnySiloHasDirectory(log, partition).Should().BeFalse("the partition is never placed on a silo that does not own it");
    }

    [Fact]
    public async Task Status_OfALogWithAPartitionOnTheDownSilo_ReportsItMissingAndTheLiveOnesInFull()
    {
        var (log, down) = PartitionOfTheDownSilo();
        var live = Enumerable.Range(0, 64).Select(static i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).First(p => cluster.OwnerOf(log, p) == cluster.SiloNames[0]);
        await cluster.Logs.GetLog(log).AppendToPartitionAsync(live, [1, 2, 3]);

        var status = await RunAsync(null, "status", "--log", log, "--json");
        var read = await RunAsync(null, "read", "--log", log, "--partition", down, "--from", "0", "--json");

        status.ExitCode.Should().Be(ExitCodes.Ok, status.ToString());
        var row = status.Json.GetProperty("partitions").EnumerateArray().Single();
        row.GetProperty("partition").GetString().Should().Be(live);
        row.GetProperty("lastId").GetInt64().Should().Be(0);
        read.ExitCode.Should().Be(ExitCodes.NotFound, read.ToString());
        cluster.AnySiloHasDirectory(log, down).Should().BeFalse();
    }
}
