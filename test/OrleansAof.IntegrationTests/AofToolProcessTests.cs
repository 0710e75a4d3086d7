using System.Diagnostics;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.IntegrationTests;

/// <summary>The built <c>aof</c> tool as a child process against the silo host as a child process.</summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class AofToolProcessTests : IDisposable
{
    private readonly TempDirectory _data = new("aof-tool");

    [Fact]
    public async Task Aof_AgainstTheSiloHost_AppendsFromStdin_ShowsStatus_ReadsExactBytes_FollowsUntilSigterm_AndReportsItUnreachable()
    {
        await using var silo = new SiloHostProcess(_data.Path, new Dictionary<string, string> { ["Aof__SiloName"] = "it-0" });
        await silo.StartAsync();
        string[] connection = ["--gateway", $"127.0.0.1:{silo.GatewayPort}", "--cluster-id", silo.Settings["Aof__ClusterId"]];

        var append = await AofTool.RunAsync("one\ntwo\nthree\n", ["append", "--log", "orders", "--partition", "0", "--json", .. connection]);
        append.Code.Should().Be(0, append.Stderr);
        using (var doc = JsonDocument.Parse(append.Stdout))
        {
            doc.RootElement.GetProperty("firstId").GetInt64().Should().Be(0);
            doc.RootElement.GetProperty("lastId").GetInt64().Should().Be(2);
        }

        var seal = await AofTool.RunAsync(null, ["seal", "--log", "orders", "--partition", "0", .. connection]);
        seal.Code.Should().Be(0, seal.Stderr);
        seal.Stdout.Should().Contain("orders/0: sealed 00000000000000000000.aofseg, ids 0..2 (3 record(s)");

        var status = await AofTool.RunAsync(null, ["status", "--log", "orders", "--json", .. connection]);
        status.Code.Should().Be(0, status.Stderr);
        using (var doc = JsonDocument.Parse(status.Stdout))
        {
            var siloRow = doc.RootElement.GetProperty("silos").EnumerateArray().Single(s => s.GetProperty("status").GetString() == "Active");
            siloRow.GetProperty("name").GetString().Should().Be("it-0");
            siloRow.GetProperty("gatewayPort").GetInt32().Should().Be(silo.GatewayPort);
            var partition = doc.RootElement.GetProperty("partitions").EnumerateArray().Single();
            partition.GetProperty("silo").GetString().Should().Be("it-0");
            partition.GetProperty("lastId").GetInt64().Should().Be(2);
            partition.GetProperty("durableId").GetInt64().Should().Be(2);
            var segments = partition.GetProperty("segments").EnumerateArray().ToList();
            (segments[0].GetProperty("baseId").GetInt64(), segments[0].GetProperty("lastId").GetInt64()).Should().Be((0L, 2L));
            segments[0].GetProperty("status").GetString().Should().BeOneOf(["Sealed", "Archiving", "Archived"], "the seal pokes the archiver of the host's default file-system archive");
            segments[^1].GetProperty("status").GetString().Should().Be("Active");
        }

        using var follow = Process.Start(AofTool.StartInfo(["tail", "--log", "orders", "--partition", "0", "--from", "1", "-f", "--json", .. connection]))!;
        follow.StandardInput.Close();
        var followed = new List<string>();
        var stderr = follow.StandardError.ReadToEndAsync();
        async Task<string> NextLineAsync(string what) =>
            await Wait.ForAsync(follow.StandardOutput.ReadLineAsync(), what, TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("tail -f ended early: " + await stderr);
        followed.Add(await NextLineAsync("tail -f to print id 1"));
        followed.Add(await NextLineAsync("tail -f to print id 2"));
        var more = await AofTool.RunAsync("four\n", ["append", "--log", "orders", "--partition", "0", .. connection]);
        more.Code.Should().Be(0, more.Stderr);
        followed.Add(await NextLineAsync("tail -f to print the record appended after it started"));
        using (var kill = Process.Start("kill", ["-TERM", follow.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill!.WaitForExitAsync();
        }

        await Wait.ForAsync(follow.WaitForExitAsync(), "tail -f to end on SIGTERM");
        follow.ExitCode.Should().Be(0, await stderr);
        followed.Select(static l => JsonDocument.Parse(l).RootElement).Select(static r => (r.GetProperty("id").GetInt64(), r.GetProperty("payload").GetString()))
            .Should().Equal((1L, "two"), (2L, "three"), (3L, "four"));

        var read = await AofTool.RunAsync(null, ["read", "--log", "orders", "--partition", "0", "--from", "0", "--format", "base64", "--json", .. connection]);
        read.Code.Should().Be(0, read.Stderr);
        using (var doc = JsonDocument.Parse(read.Stdout))
        {
            doc.RootElement.GetProperty("records").EnumerateArray().Select(static r => Encoding.UTF8.GetString(Convert.FromBase64String(r.GetProperty("payload").GetString()!)))
                .Should().Equal("one", "two", "three", "four");
        }

        await silo.KillAsync();
        var unreachable = await AofTool.RunAsync(null, ["status", "--connect-timeout", "2s", "--json", .. connection]);
        unreachable.Code.Should().Be(6, unreachable.Stdout);
        unreachable.Stdout.Should().Contain("\"kind\": \"unreachable\"");
    }

    [Fact]
    public async Task Aof_WithRedis_FindsTheSiloHostThroughRedisMembership_AndAnUnansweringRedisIsUnreachable()
    {
        using var redis = await RedisServer.StartNewAsync();
        await using var silo = new SiloHostProcess(_data.Path, new Dictionary<string, string>
        {
            ["Aof__SiloName"] = "it-redis",
            ["Aof__Clustering"] = "Redis",
            ["Aof__ClusteringConnectionString"] = redis.ConnectionString,
        });
        await silo.StartAsync();
        string[] connection = ["--redis", redis.ConnectionString, "--cluster-id", silo.Settings["Aof__ClusterId"]];

        var append = await AofTool.RunAsync("x\ny\n", ["append", "--log", "events", "--partition", "0", .. connection]);
        var status = await AofTool.RunAsync(null, ["status", "--log", "events", "--json", .. connection]);
        var deadRedis = await AofTool.RunAsync(null, ["status", "--redis", $"127.0.0.1:{FreePort.Find()}", "--connect-timeout", "2s", "--json"]);

        append.Code.Should().Be(0, append.Stderr);
        append.Stdout.Should().Contain("batch 0: 2 record(s), ids 0..1");
        status.Code.Should().Be(0, status.Stderr);
        using (var doc = JsonDocument.Parse(status.Stdout))
        {
            doc.RootElement.GetProperty("cluster").GetString().Should().StartWith($"the Redis membership at {redis.ConnectionString}");
            var active = doc.RootElement.GetProperty("silos").EnumerateArray().Single(s => s.GetProperty("status").GetString() == "Active");
            active.GetProperty("name").GetString().Should().Be("it-redis");
            active.GetProperty("gatewayPort").GetInt32().Should().Be(silo.GatewayPort);
            doc.RootElement.GetProperty("partitions").EnumerateArray().Single().GetProperty("lastId").GetInt64().Should().Be(1);
        }

        deadRedis.Code.Should().Be(6, deadRedis.Stdout + deadRedis.Stderr);
        deadRedis.Stdout.Should().Contain("\"kind\": \"unreachable\"").And.Contain("Could not connect to the Redis membership");
    }

    public void Dispose() => _data.Dispose();
}
