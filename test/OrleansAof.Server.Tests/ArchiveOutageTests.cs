using System.Text;
using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>
/// Archive trouble seen through real grain calls: s3rver down, a wrong access key (403) or a missing bucket (404), on a
/// partition with archived and evicted history and on a brand-new one. Every client path gets a typed, serializable
/// error; appends go on until the backlog bound; health is degraded meanwhile; archiving resumes by the archiver's own
/// retries (the reminder is an hour away) and nothing acknowledged is lost.
/// </summary>
[Collection(S3ArchiveClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public sealed class ArchiveOutageTests(S3ArchiveCluster fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    public Task InitializeAsync() => fixture.SetFaultAsync(ArchiveFault.None);

    public Task DisposeAsync() => fixture.SetFaultAsync(ArchiveFault.None);

    private static byte[] Payload(long id) => Encoding.UTF8.GetBytes($"record {id} " + new string((char)('a' + (id % 26)), 300 + (int)(id % 200)));

    private static ArchiveUnavailableReason ReasonOf(ArchiveFault fault) => fault switch
    {
        ArchiveFault.ServerDown => ArchiveUnavailableReason.Unreachable,
        ArchiveFault.WrongKey => ArchiveUnavailableReason.AccessDenied,
        _ => ArchiveUnavailableReason.BucketMissing,
    };

    [Theory]
    [InlineData(ArchiveFault.ServerDown)]
    [InlineData(ArchiveFault.WrongKey)]
    [InlineData(ArchiveFault.MissingBucket)]
    public async Task ExistingPartition_ArchiveFault_TypedErrorsBacklogBoundDegradedHealth_ThenRecoversWithoutTheReminder_NothingLost(ArchiveFault fault)
    {
        var log = $"outage-{fault.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}"[..40];
        const string partition = "0";
        var key = PartitionKey.Format(log, partition);
        var handle = fixture.Logs.GetLog(log);
        var grain = fixture.Partition(log, partition);
        var acknowledged = new List<long>();

        // History: sealed segments archived, all but the newest sealed one evicted from the silo's disk.
        while (true)
        {
            acknowledged.Add(await AppendWhileArchivingWorksAsync(handle, partition, acknowledged.Count));
            if (acknowledged.Count % 20 == 0 && (await grain.GetInfoAsync()).Segments.Count(s => s.Status == "LocalEvicted") >= 2)
            {
                break;
            }

            acknowledged.Count.Should().BeLessThan(2000, "segments of 8 KiB seal and archive long before");
        }

        var evicted = (await grain.GetInfoAsync()).Segments.First(s => s.Status == "LocalEvicted");
        fixture.Health.Check().IsDegraded.Should().BeFalse("archiving works: {0}", fixture.Health.Check().Describe());

        await fixture.SetFaultAsync(fault);
        var reason = ReasonOf(fault);

        // An upload that started before the fault still goes through with the working client; one archival run (it waits
        // for the partition's archive step in flight) settles that, so the backlog counted below is exact.
        await fixture.Client.GetGrain<IPartitionArchiverGrain>(key).RunAsync();

        // Appends need no archive: they go on until the backlog bound, then a typed, retryable backpressure error.
        LogBackpressureException? refused = null;
        while (refused is null)
        {
            try
            {
                var ack = await handle.AppendToPartitionAsync(partition, Payload(acknowledged.Count));
                ack.FirstId.Should().Be(acknowledged.Count);
                acknowledged.Add(ack.FirstId);
            }
            catch (LogBackpressureException e)
            {
                refused = e;
            }

            acknowledged.Count.Should().BeLessThan(5000, "the backlog bound refuses appends long before");
        }

        refused.Reason.Should().Be("ArchiveBacklog");
        refused.IsRetryable.Should().BeTrue();

        // A read of records that live only in the archive: typed through the client, the grain and the archive reader grain.
        var read = () => handle.ReadAsync(partition, evicted.BaseId, 10);
        var clientError = (await read.Should().ThrowAsync<ArchiveUnavailableException>()).Which;
        clientError.Reason.Should().Be(reason, clientError.Message);
        clientError.IsRetryable.Should().BeTrue();
        clientError.Cause.Should().NotBeNullOrEmpty();
        clientError.Message.Should().Contain(key);
        var grainRead = () => grain.ReadAsync(evicted.BaseId, 10);
        (await grainRead.Should().ThrowAsync<ArchiveUnavailableException>()).Which.Reason.Should().Be(reason);
        var readerRead = () => fixture.Client.GetGrain<IArchiveReaderGrain>(key).ReadAsync(evicted.BaseId, 10);
        (await readerRead.Should().ThrowAsync<ArchiveUnavailableException>()).Which.Reason.Should().Be(reason);

        // Records on the silo's disk stay readable.
        var local = await handle.ReadAsync(partition, acknowledged[^1], 1);
        local[0].Payload.ToArray().Should().Equal(Payload(acknowledged[^1]));

        // The archival run reports the typed error; GetInfo and health show the trouble.
        var report = await fixture.Client.GetGrain<IPartitionArchiverGrain>(key).RunAsync();
        report.Error.Should().Contain(reason.ToString());
        report.BacklogSegments.Should().Be(S3ArchiveCluster.MaxBacklogSegments + 1);
        var info = await grain.GetInfoAsync();
        info.Archive.Should().NotBeNull();
        info.Archive!.Error.Should().Contain(reason.ToString());
        info.Archive.FailedRuns.Should().BePositive();
        info.Archive.ErrorSince.Should().NotBeNull();
        info.Archive.RefusesAppends.Should().BeTrue();
        var health = fixture.Health.Check();
        health.IsDegraded.Should().BeTrue();
        health.Describe().Should().Contain($"partition {key}: archiving fails").And.Contain(reason.ToString())
            .And.Contain($"partition {key}: appends refused");

        // The archive returns: the archiver's own retries (not the reminder, an hour away) drain the backlog.
        await fixture.SetFaultAsync(ArchiveFault.None);
        await Wait.UntilAsync(
            async () => (await grain.GetInfoAsync()).Archive is { BacklogSegments: 0, Error: null },
            "the archiver retried by itself and archived the backlog once the archive answered",
            Generous);
        await Wait.UntilAsync(() => !fixture.Health.Check().IsDegraded, "health is back to healthy", Generous);

        acknowledged.Add(await AppendWhileArchivingWorksAsync(handle, partition, acknowledged.Count));

        await AssertEveryRecordAsync(handle, partition, acknowledged);
    }

    /// <remarks>
    /// Depends on the partition's open not needing the archive for a folder without segments; until then the first append
    /// fails (with the typed <see cref="ArchiveUnavailableException"/>, never an untyped one).
    /// </remarks>
    [Theory]
    [InlineData(ArchiveFault.ServerDown)]
    [InlineData(ArchiveFault.WrongKey)]
    [InlineData(ArchiveFault.MissingBucket)]
    public async Task NewPartition_FirstAppendDuringArchiveFault_IsAcknowledged_AndArchivedOnceTheArchiveWorks(ArchiveFault fault)
    {
        var log = $"fresh-{fault.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}"[..40];
        const string partition = "0";
        var handle = fixture.Logs.GetLog(log);
        await fixture.SetFaultAsync(fault);

        AppendAck first;
        try
        {
            first = await handle.AppendToPartitionAsync(partition, Payload(0));
        }
        catch (Exception e) when (e is not ArchiveUnavailableException)
        {
            throw new Xunit.Sdk.XunitException($"the first append of a new partition failed with an untyped {e.GetType().Name}: {e}");
        }

        first.FirstId.Should().Be(0);
        var acknowledged = new List<long> { 0 };
        LogBackpressureException? refused = null;
        for (var id = 1; id < 200 && refused is null; id++)
        {
            try
            {
                acknowledged.Add((await handle.AppendToPartitionAsync(partition, Payload(id))).FirstId);
            }
            catch (LogBackpressureException e)
            {
                refused = e;
            }
        }

        acknowledged.Should().Equal(Enumerable.Range(0, acknowledged.Count).Select(static i => (long)i));
        refused.Should().NotBeNull("a new partition's appends also stop at the backlog bound during the fault");

        await fixture.SetFaultAsync(ArchiveFault.None);
        var grain = fixture.Partition(log, partition);
        await Wait.UntilAsync(
            async () => (await grain.GetInfoAsync()).Archive is { BacklogSegments: 0, Error: null },
            "the new partition's segments are archived once the archive works",
            Generous);
        await AssertEveryRecordAsync(handle, partition, acknowledged);
    }

    /// <summary>Appends record <paramref name="id"/>; with 8 KiB segments appends may outrun the archiver for a moment, and then wait for it (backpressure).</summary>
    private static async Task<long> AppendWhileArchivingWorksAsync(Client.AppendLogHandle handle, string partition, long id)
    {
        AppendAck? ack = null;
        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    ack = await handle.AppendToPartitionAsync(partition, Payload(id));
                    return true;
                }
                catch (LogBackpressureException)
                {
                    return false;
                }
            },
            $"append {id} is accepted while the archive works",
            Generous);
        ack!.Value.FirstId.Should().Be(id);
        return ack.Value.FirstId;
    }

    private static async Task AssertEveryRecordAsync(Client.AppendLogHandle handle, string partition, List<long> acknowledged)
    {
        var next = 0L;
        while (next < acknowledged.Count)
        {
            var batch = await handle.ReadAsync(partition, next, 50);
            batch.Count.Should().BePositive($"acknowledged record {next} must be readable");
            foreach (var record in batch.Records)
            {
                record.Id.Should().Be(next);
                record.Payload.ToArray().Should().Equal(Payload(next), $"record {next} must come back with its bytes");
                next++;
            }
        }

        next.Should().Be(acknowledged.Count);
    }
}
