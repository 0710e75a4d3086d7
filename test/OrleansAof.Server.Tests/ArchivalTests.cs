using System.Text;
using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>The archiver grain on a real cluster with a file-system archive shared by the silos.</summary>
[Collection(ArchivingClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class ArchivalTests(ArchivingCluster fixture)
{
    private static byte[] Payload(long id) => Encoding.UTF8.GetBytes($"record {id} " + new string('x', (int)(id % 500)));

    private static async Task<long> AppendAsync(IPartitionGrain grain, int count)
    {
        long last = -1;
        for (var i = 0; i < count; i++)
        {
            var info = last + 1;
            var ack = await grain.AppendAsync(Payload(info));
            ack.FirstId.Should().Be(info);
            last = ack.LastId;
        }

        return last;
    }

    private static async Task WaitArchivedAsync(IPartitionGrain grain, string because)
    {
        await Wait.UntilAsync(
            async () =>
            {
                var segments = (await grain.GetInfoAsync()).Segments;
                return segments.Count > 2 && segments.Take(segments.Count - 1).All(s => s.Status is "Archived" or "LocalEvicted")
                    && segments.Count(s => s.Status == "LocalEvicted") == segments.Count - 2;
            },
            because,
            TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Sealed_segments_are_archived_on_seal_evicted_by_retention_and_read_back_transparently()
    {
        var log = $"arch-{Guid.NewGuid():N}";
        var grain = fixture.Partition(log, fixture.PartitionOwnedBy(log, fixture.SiloNames[0]));
        var last = await AppendAsync(grain, 150);
        await WaitArchivedAsync(grain, "every sealed segment but the newest is archived and evicted");

        var info = await grain.GetInfoAsync();
        info.Segments[^1].Status.Should().Be("Active");
        info.Segments[^2].Status.Should().Be("Archived", "one sealed segment stays local (KeepLocalSegments = 1)");
        Directory.GetFiles(Path.Combine(fixture.ArchiveRoot, log), "*.aofseg", SearchOption.AllDirectories).Length.Should().Be(info.Segments.Count - 1);

        var next = 0L;
        await foreach (var record in fixture.Logs.GetLog(log).TailAsync(info.Partition, 0).WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
        {
            record.Id.Should().Be(next);
            record.Payload.ToArray().Should().Equal(Payload(next), "a subscriber catching up from 0 crosses the archive/local boundary unnoticed");
            if (++next > last)
            {
                break;
            }
        }

        next.Should().Be(last + 1);
    }

    [Fact]
    public async Task Duplicate_and_concurrent_archiver_runs_archive_each_segment_once()
    {
        var log = $"dup-{Guid.NewGuid():N}";
        var partition = fixture.PartitionOwnedBy(log, fixture.SiloNames[0]);
        var grain = fixture.Partition(log, partition);
        await AppendAsync(grain, 120);
        var archiver = fixture.Client.GetGrain<IPartitionArchiverGrain>(PartitionKey.Format(log, partition));
        var reports = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => archiver.RunAsync()));
        reports.Should().OnlyContain(r => r.Configured && r.Error == null);
        var archivedIds = reports.SelectMany(r => r.Archived).ToList();
        archivedIds.Should().OnlyHaveUniqueItems("a segment is archived once however many runs race");
        await WaitArchivedAsync(grain, "everything sealed is archived");
        var sealedCount = (await grain.GetInfoAsync()).Segments.Count - 1;
        Directory.GetFiles(Path.Combine(fixture.ArchiveRoot, log, partition), "*.aofseg").Length.Should().Be(sealedCount);
    }

    [Fact]
    public async Task With_the_owner_down_archived_history_stays_readable_and_the_rest_fails_fast()
    {
        var log = $"down-{Guid.NewGuid():N}";
        var victimSilo = fixture.SiloNames[1];
        var partition = fixture.PartitionOwnedBy(log, victimSilo);
        var grain = fixture.Partition(log, partition);
        var last = await AppendAsync(grain, 150);
        await WaitArchivedAsync(grain, "history is archived before the owner dies");
        var archivedLast = (await grain.GetInfoAsync()).Segments[^2].LastId;

        await fixture.KillSiloAsync(victimSilo);
        try
        {
            var handle = fixture.Logs.GetLog(log);
            var next = 0L;
            while (next <= archivedLast)
            {
                var batch = await handle.ReadAsync(partition, next, 40);
                batch.Count.Should().BePositive($"archived record {next} is served by the surviving silo");
                foreach (var r in batch.Records)
                {
                    r.Payload.ToArray().Should().Equal(Payload(next));
                    next++;
                }
            }

            await handle.Invoking(h => h.ReadAsync(partition, archivedLast + 1)).Should().ThrowAsync<PartitionUnavailableException>(
                "records past the archive live only on the owner's disk");
            await grain.Invoking(g => g.AppendAsync(Payload(last + 1))).Should().ThrowAsync<PartitionUnavailableException>();
        }
        finally
        {
            await fixture.RestartSiloAsync(victimSilo);
        }

        await Wait.UntilAsync(async () => await IsUpAsync(grain), "the restarted owner serves the partition again", TimeSpan.FromSeconds(30));
        (await grain.GetInfoAsync()).LastId.Should().Be(last, "no acknowledged record was lost");
    }

    private static async Task<bool> IsUpAsync(IPartitionGrain grain)
    {
        try
        {
            await grain.GetInfoAsync();
            return true;
        }
        catch (PartitionUnavailableException)
        {
            return false;
        }
    }
}

[Collection(ReminderOnlyArchivingClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class ArchiverReminderTests(ReminderOnlyArchivingCluster fixture)
{
    [Fact]
    public async Task Without_pokes_the_reminder_alone_archives_sealed_segments()
    {
        var log = $"rem-{Guid.NewGuid():N}";
        var grain = fixture.Partition(log, fixture.PartitionOwnedBy(log, fixture.SiloNames[0]));
        for (var i = 0; i < 60; i++)
        {
            await grain.AppendAsync(Encoding.UTF8.GetBytes($"r{i} " + new string('y', 300)));
        }

        // Something to archive: sealed segments (the reminder may already be at work on them, so any archival status).
        (await grain.GetInfoAsync()).Segments.Count(s => s.Status != "Active").Should().BeGreaterThan(1);
        await Wait.UntilAsync(
            async () => (await grain.GetInfoAsync()).Segments.All(s => s.Status != "Sealed"),
            "the archiver's reminder archived every sealed segment",
            TimeSpan.FromSeconds(30));
    }
}
