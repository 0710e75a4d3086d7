using System.Net;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.IntegrationTests;

/// <summary>
/// The silo host as a child process archiving to a real s3rver that is killed and later started again on the same port
/// and folder: appends go on to the backlog bound, a read of evicted records gets the typed error over the wire,
/// <c>/health/ready</c> says Degraded with the reason (liveness unaffected), <c>aof status</c> reports the archive
/// trouble with exit code 1; when s3rver returns, archiving resumes without the reminder (an hour away), health is
/// Healthy again and every acknowledged record reads back. Also: an archiver reminder period below the reminder
/// service's minimum stops the host at start, naming the option.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public sealed class ArchiveOutageProcessTests : IDisposable
{
    private const string Bucket = "aof-outage";
    private readonly TempDirectory _data = new("archive-outage");

    private static byte[] Payload(long id) => Encoding.UTF8.GetBytes($"record {id} " + new string((char)('a' + (id % 26)), 300 + (int)(id % 200)));

    [Fact]
    public async Task SiloHost_S3Outage_DegradedHealthTypedErrorsAndStatus_ThenRecoversByItself_NothingLost()
    {
        using var s3 = await S3rverServer.StartNewAsync();
        await s3.CreateBucketAsync(Bucket);
        await using var silo = new SiloHostProcess(_data.Path, new Dictionary<string, string>
        {
            ["Aof__SiloName"] = "outage-0",
            ["Aof__Archive"] = "S3",
            ["Aof__S3ServiceUrl"] = s3.ServiceUrl,
            ["Aof__S3Bucket"] = Bucket,
            ["Aof__S3Prefix"] = "it",
            ["Aof__S3ForcePathStyle"] = "true",
            ["Aof__S3CompatibilityMode"] = "true",
            ["Aof__S3AccessKey"] = S3rverServer.AccessKey,
            ["Aof__S3SecretKey"] = S3rverServer.SecretKey,
            ["Aof__S3Region"] = "us-east-1",
            ["Aof__MaxSegmentBytes"] = "8192",
            ["Aof__MaxRecordBytes"] = "2048",
            ["Aof__KeepLocalSegments"] = "1",
            ["Aof__MaxArchiveBacklogSegments"] = "3",
            ["Aof__ArchiveReminderPeriod"] = "01:00:00",
        });
        await silo.StartAsync();
        string[] connection = ["--gateway", $"127.0.0.1:{silo.GatewayPort}", "--cluster-id", silo.Settings["Aof__ClusterId"]];
        using var client = await silo.ConnectClientAsync();
        var orders = client.Logs().GetLog("orders");
        var grain = orders.Partition("0");
        var acknowledged = 0L;

        async Task AppendWhileArchivingWorksAsync(long id)
        {
            // With 8 KiB segments appends may outrun the archiver for a moment: then they wait for it (backpressure).
            AppendAck? ack = null;
            await Wait.UntilAsync(
                async () =>
                {
                    try
                    {
                        ack = await orders.AppendToPartitionAsync("0", Payload(id));
                        return true;
                    }
                    catch (LogBackpressureException)
                    {
                        return false;
                    }
                },
                $"append {id} is accepted while the archive works",
                TimeSpan.FromSeconds(60));
            ack!.Value.FirstId.Should().Be(id);
        }

        while (true)
        {
            await AppendWhileArchivingWorksAsync(acknowledged);
            acknowledged++;
            if (acknowledged % 20 == 0 && (await grain.GetInfoAsync()).Segments.Count(s => s.Status == "LocalEvicted") >= 2)
            {
                break;
            }

            acknowledged.Should().BeLessThan(2000);
        }

        var evicted = (await grain.GetInfoAsync()).Segments.First(s => s.Status == "LocalEvicted");
        var healthy = await silo.HealthAsync();
        healthy.Status.Should().Be(HttpStatusCode.OK);
        healthy.Body.Should().StartWith("Healthy");

        await s3.StopAsync();
        LogBackpressureException? refused = null;
        while (refused is null)
        {
            try
            {
                (await orders.AppendToPartitionAsync("0", Payload(acknowledged))).FirstId.Should().Be(acknowledged);
                acknowledged++;
            }
            catch (LogBackpressureException e)
            {
                refused = e;
            }

            acknowledged.Should().BeLessThan(5000, "the backlog bound refuses appends long before");
        }

        refused.Reason.Should().Be("ArchiveBacklog");
        var read = () => orders.ReadAsync("0", evicted.BaseId, 10);
        var readError = (await read.Should().ThrowAsync<ArchiveUnavailableException>("the typed error crosses the wire; never CodecNotFoundException or HttpRequestException")).Which;
        readError.Reason.Should().Be(ArchiveUnavailableReason.Unreachable);
        readError.Cause.Should().Contain("Connection refused");

        await Wait.UntilAsync(
            async () => (await silo.HealthAsync()).Body.Contains("archiving fails", StringComparison.Ordinal),
            "/health/ready reports the failing archival runs (each run retries its calls for a few seconds first)",
            TimeSpan.FromSeconds(60));
        var degraded = await silo.HealthAsync();
        degraded.Status.Should().Be(HttpStatusCode.OK, "a degraded silo still serves (reads, appends below the bound)");
        degraded.Body.Should().StartWith("Degraded\n");
        degraded.Body.Should().Contain("partition orders/0: archiving fails").And.Contain("Unreachable").And.Contain("partition orders/0: appends refused");
        (await silo.HealthAsync("/health/live")).Status.Should().Be(HttpStatusCode.OK, "liveness does not depend on the archive");

        var status = await AofTool.RunAsync(null, ["status", "--log", "orders", "--partition", "0", "--json", .. connection]);
        status.Code.Should().Be(1, "archive trouble is a finding: " + status.Stdout + status.Stderr);
        using (var doc = JsonDocument.Parse(status.Stdout))
        {
            var archive = doc.RootElement.GetProperty("partitions")[0].GetProperty("archive");
            archive.GetProperty("error").GetString().Should().Contain("Unreachable");
            archive.GetProperty("refusesAppends").GetBoolean().Should().BeTrue();
            archive.GetProperty("backlogSegments").GetInt32().Should().Be(4);
        }

        var human = await AofTool.RunAsync(null, ["status", "--log", "orders", .. connection]);
        human.Code.Should().Be(1, human.Stderr);
        human.Stdout.Should().Contain("appends refused until archiving catches up").And.Contain("archiving fails since");

        await s3.StartAsync();
        await Wait.UntilAsync(
            async () => (await silo.HealthAsync()).Body.StartsWith("Healthy", StringComparison.Ordinal),
            "/health/ready is Healthy again once s3rver answers (archiving resumed by the archiver's retries, not the reminder)",
            TimeSpan.FromSeconds(120));
        (await grain.GetInfoAsync()).Archive!.BacklogSegments.Should().BeLessThanOrEqualTo(3);
        await AppendWhileArchivingWorksAsync(acknowledged);
        acknowledged++;

        for (var next = 0L; next < acknowledged;)
        {
            var batch = await orders.ReadAsync("0", next, 50);
            batch.Count.Should().BePositive($"acknowledged record {next} must be readable");
            foreach (var record in batch.Records)
            {
                record.Payload.ToArray().Should().Equal(Payload(next), $"record {next} must come back with its bytes");
                next++;
            }
        }

        var after = await AofTool.RunAsync(null, ["status", "--log", "orders", "--partition", "0", "--json", .. connection]);
        after.Code.Should().Be(0, after.Stdout + after.Stderr);
    }

    [Fact]
    public async Task SiloHost_ArchiveReminderPeriodBelowTheReminderMinimum_FailsAtStartNamingTheOption()
    {
        await using var silo = new SiloHostProcess(_data.Path, new Dictionary<string, string> { ["Aof__ArchiveReminderPeriod"] = "00:00:05" });

        var start = () => silo.StartAsync();

        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain(
            "AppendLogOptions.ArchiveReminderPeriod must be at least the reminder service's minimum period (ReminderOptions.MinimumReminderPeriod, 00:01:00); it is 00:00:05.");
    }

    public void Dispose() => _data.Dispose();
}
