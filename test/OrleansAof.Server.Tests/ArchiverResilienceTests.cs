using System.Text;
using FluentAssertions;
using OrleansAof.Server.Archival;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>The archiver keeps archiving when its reminder cannot be registered: seal pokes and its own retries drive it.</summary>
[Collection(NoReminderArchivingClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class ArchiverWithoutRemindersTests(NoReminderArchivingCluster fixture)
{
    private static byte[] Payload(long id) => Encoding.UTF8.GetBytes($"record {id} " + new string('r', 400));

    [Fact]
    public async Task NoReminderService_SegmentsAreStillArchivedOnSeal_AndReadBack()
    {
        var log = $"norem-{Guid.NewGuid():N}";
        var grain = fixture.Partition(log, "0");
        for (var id = 0; id < 120; id++)
        {
            (await grain.AppendAsync(Payload(id))).FirstId.Should().Be(id);
        }

        await Wait.UntilAsync(
            async () =>
            {
                var info = await grain.GetInfoAsync();
                return info.Segments.Count > 3 && info.Archive is { BacklogSegments: 0, Error: null }
                    && info.Segments.Take(info.Segments.Count - 1).All(s => s.Status is "Archived" or "LocalEvicted");
            },
            "every sealed segment is archived although no reminder can be registered",
            TimeSpan.FromSeconds(60));
        Directory.GetFiles(Path.Combine(fixture.ArchiveRoot, log, "0"), "*.aofseg").Length.Should().Be((await grain.GetInfoAsync()).Segments.Count - 1);

        for (var id = 0L; id < 120;)
        {
            var batch = await grain.ReadAsync(id, 40);
            foreach (var r in batch.Records)
            {
                r.Payload.ToArray().Should().Equal(Payload(id++));
            }
        }
    }
}

/// <summary>The retry delays of failed archiver runs.</summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class ArchiverRetryDelayTests
{
    [Theory]
    [InlineData(1, 1000)]
    [InlineData(2, 2000)]
    [InlineData(3, 4000)]
    [InlineData(5, 16_000)]
    [InlineData(6, 30_000)]
    [InlineData(1000, 30_000)]
    public void RetryDelay_DoublesFromTheFirstUpToTheMaximum(int failedRuns, int expectedMs) =>
        PartitionArchiverGrain.RetryDelay(failedRuns, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)).Should().Be(TimeSpan.FromMilliseconds(expectedMs));
}

/// <summary>The text of the health report the silo host's readiness endpoint shows.</summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class AppendLogHealthReportTests
{
    [Fact]
    public void Describe_HealthyShowsTheOpenPartitions_DegradedListsEachProblemAndHowManyMore()
    {
        new AppendLogHealthReport(true, 3, 0, []).Describe().Should().Be("3 partition(s) open");
        var problems = Enumerable.Range(0, 8).Select(i => $"partition orders/{i}: archiving fails").ToList();

        var text = new AppendLogHealthReport(true, 12, 10, problems).Describe();

        text.Split('\n').Should().Equal([.. problems, "... and 2 more"]);
    }
}
