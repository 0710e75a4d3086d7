using System.Text;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Cli.Tests;

/// <summary><c>aof drain</c> against two real silos sharing a file-system archive.</summary>
[Collection(ArchivingClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class DrainCommandTests(ArchivingTwoSiloCluster cluster)
{
    private static byte[] Record(string partition, int i) => Encoding.UTF8.GetBytes($"{partition}:{i}");

    [Fact]
    public async Task Drain_MovesEveryPartitionOfTheSilo_AndTheNewOwnerContinuesAfterTheLastId()
    {
        var drained = cluster.SiloNames[1];
        var partitions = Enumerable.Range(0, 8).Select(static i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

        // A random log name gives the drained silo none of the 8 partitions once in 256 runs: take a name that gives it some.
        string log;
        string[] moving;
        var names = 0;
        do
        {
            log = "drain-" + Guid.NewGuid().ToString("N")[..8];
            moving = partitions.Where(p => cluster.OwnerOf(log, p) == drained).ToArray();
        }
        while (moving.Length == 0 && ++names < 64);

        moving.Should().NotBeEmpty("one of 64 random log names gives {0} some of 8 partitions by rendezvous hashing", drained);
        var handle = cluster.Logs.GetLog(log);
        foreach (var p in partitions)
        {
            for (var i = 0; i < 5; i++)
            {
                (await handle.AppendToPartitionAsync(p, Record(p, i))).FirstId.Should().Be(i);
            }
        }

        var run = await cluster.RunAsync(null, "drain", drained, "--json");

        run.ExitCode.Should().Be(ExitCodes.Ok, run.ToString());
        var report = run.Json;
        report.GetProperty("silo").GetString().Should().Be(drained);
        report.GetProperty("complete").GetBoolean().Should().BeTrue();
        var moved = report.GetProperty("partitions").EnumerateArray().Where(m => m.GetProperty("partition").GetString()!.StartsWith(log + "/", StringComparison.Ordinal)).ToList();
        moved.Select(static m => m.GetProperty("partition").GetString()).Should().BeEquivalentTo(moving.Select(p => $"{log}/{p}"));
        moved.Should().OnlyContain(m => m.GetProperty("target").GetString() == cluster.SiloNames[0] && m.GetProperty("lastId").GetInt64() == 4);
        Directory.Exists(cluster.PartitionDirectory(drained, log, moving[0])).Should().BeFalse("the drained silo's copy was moved aside");

        foreach (var p in moving)
        {
            (await handle.GetInfoAsync(p)).Silo.Should().Be(cluster.SiloNames[0], "partition {0} is served by the other silo after the drain", p);
            (await handle.AppendToPartitionAsync(p, Record(p, 5))).FirstId.Should().Be(5, "the new owner continues after the archived last id of {0}", p);
            var records = (await handle.ReadAsync(p, 0, 100)).Records;
            records.Select(static r => r.Id).Should().Equal(0L, 1L, 2L, 3L, 4L, 5L);
            records.Select(static r => Encoding.UTF8.GetString(r.Payload.Span)).Should().Equal(Enumerable.Range(0, 6).Select(i => $"{p}:{i}"));
        }

        var again = await cluster.RunAsync(null, "drain", drained);
        again.ExitCode.Should().Be(ExitCodes.Ok, again.ToString());
        again.Stdout.Should().Contain($"{drained} holds no partition; nothing to move.");
    }

    [Fact]
    public async Task Drain_OfOnePartition_MovesOnlyThatOne()
    {
        var log = "drain-" + Guid.NewGuid().ToString("N")[..8];
        var handle = cluster.Logs.GetLog(log);
        var silo = cluster.SiloNames[0];
        var mine = Enumerable.Range(0, 32).Select(static i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Where(p => cluster.OwnerOf(log, p) == silo).Take(2).ToArray();
        foreach (var p in mine)
        {
            await handle.AppendToPartitionAsync(p, Record(p, 0));
        }

        var run = await cluster.RunAsync(null, "drain", silo, "--partition", $"{log}/{mine[0]}", "--to", cluster.SiloNames[1]);

        run.ExitCode.Should().Be(ExitCodes.Ok, run.ToString());
        run.Stdout.Should().Contain($"[1/1] {log}/{mine[0]}: moved to {cluster.SiloNames[1]}; it continues after id 0");
        (await handle.GetInfoAsync(mine[0])).Silo.Should().Be(cluster.SiloNames[1]);
        (await handle.GetInfoAsync(mine[1])).Silo.Should().Be(silo, "only the named partition moves");
        (await handle.AppendToPartitionAsync(mine[0], Record(mine[0], 1))).FirstId.Should().Be(1);

        var missing = await cluster.RunAsync(null, "drain", silo, "--partition", $"{log}/{mine[0]}");
        missing.ExitCode.Should().Be(ExitCodes.NotFound, missing.ToString());
        missing.Stderr.Should().Contain($"does not hold it; nothing was moved");
    }

    [Fact]
    public async Task Drain_OfAnUnknownSilo_IsNotFound_AndMovesNothing()
    {
        var run = await cluster.RunAsync(null, "drain", "no-such-silo", "--json");

        run.ExitCode.Should().Be(ExitCodes.NotFound, run.ToString());
        run.Json.GetProperty("error").GetProperty("message").GetString().Should().Contain("No active silo is named 'no-such-silo'");
    }

    [Fact]
    public async Task Drain_IntoItself_IsAUsageError_AndMovesNothing()
    {
        var log = "drain-" + Guid.NewGuid().ToString("N")[..8];
        var handle = cluster.Logs.GetLog(log);
        var silo = cluster.SiloNames[0];
        var partition = Enumerable.Range(0, 16).Select(static i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).First(p => cluster.OwnerOf(log, p) == silo);
        await handle.AppendToPartitionAsync(partition, Record(partition, 0));

        var run = await cluster.RunAsync(null, "drain", silo, "--to", silo);

        run.ExitCode.Should().Be(ExitCodes.Usage, run.ToString());
        run.Stderr.Should().Contain("cannot be drained into itself");
        (await handle.GetInfoAsync(partition)).Silo.Should().Be(silo);
        (await handle.AppendToPartitionAsync(partition, Record(partition, 1))).FirstId.Should().Be(1);
    }
}
