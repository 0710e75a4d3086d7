using System.Text;
using Amazon.S3.Model;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using OrleansAof.Archive.S3;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using OrleansAof.TestInfrastructure.Clusters;
using StackExchange.Redis;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>
/// Two silos on TCP whose membership is kept in a real redis-server, archiving through <c>AddAppendLogS3Archive</c> to a
/// real s3rver (the production silo host's shape), with 8 KiB segments: the cluster fixture's Redis membership and
/// S3 archive options.
/// </summary>
public sealed class RedisS3Cluster() : AofClusterFixture(new AofTestClusterOptions
{
    Silos = 2,
    Membership = TestClusterMembership.Redis,
    Archive = TestClusterArchive.S3,
})
{
    protected override void ConfigureLog(AppendLogOptions options)
    {
        options.MaxSegmentBytes = 8192;
        options.MaxRecordBytes = 2048;
    }

    protected override void ConfigureSilo(ISiloBuilder silo) => silo.UseInMemoryReminderService();
}

[CollectionDefinition(Name)]
public sealed class RedisS3ClusterGroup : ICollectionFixture<RedisS3Cluster>
{
    public const string Name = "redis membership and s3 archive cluster";
}

[Collection(RedisS3ClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class RedisMembershipS3ArchiveTests(RedisS3Cluster fixture)
{
    private static byte[] Payload(long id) => Encoding.UTF8.GetBytes($"record {id} " + new string('s', 900));

    [Fact]
    public async Task Membership_IsTheRedisTable_WithBothSilos_AndAppendsReachEachOwner()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Redis.ConnectionString);
        var keys = redis.GetServer(redis.GetEndPoints()[0]).Keys(pattern: "*" + fixture.ClusterId + "*").ToList();
        keys.Should().ContainSingle("the cluster's membership table is one Redis hash named after its cluster id");
        var rows = (await redis.GetDatabase().HashKeysAsync(keys[0])).Select(static f => f.ToString()).Where(static f => f != "Version");
        var running = fixture.SiloNames.Select(s => fixture.SiloServices(s).GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString());
        rows.Should().BeEquivalentTo(running, "each of the two running silos has its row, and nothing else does");

        var log = $"redis-{Guid.NewGuid():N}";
        foreach (var silo in fixture.SiloNames)
        {
            var grain = fixture.Partition(log, fixture.PartitionOwnedBy(log, silo));
            (await grain.AppendAsync(Payload(0))).FirstId.Should().Be(0);
            (await grain.AppendAsync(Payload(1))).FirstId.Should().Be(1);
            Directory.Exists(fixture.PartitionDirectory(silo, log, (await grain.GetInfoAsync()).Partition)).Should().BeTrue($"{silo} owns the partition");
        }
    }

    [Fact]
    public async Task SealedSegments_AreArchivedToS3_UnderTheirLocalNames_AndReadBack()
    {
        var log = $"s3-{Guid.NewGuid():N}";
        var partition = fixture.PartitionOwnedBy(log, fixture.SiloNames[1]);
        var grain = fixture.Partition(log, partition);
        const int count = 40;
        for (var i = 0; i < count; i++)
        {
            (await grain.AppendAsync(Payload(i))).FirstId.Should().Be(i);
        }

        await Wait.UntilAsync(
            async () =>
            {
                var segments = (await grain.GetInfoAsync()).Segments;
                return segments.Count > 2 && segments.Take(segments.Count - 1).All(static s => s.Status is "Archived" or "LocalEvicted");
            },
            "every sealed segment is archived to s3rver",
            TimeSpan.FromSeconds(30));

        var sealedNames = (await grain.GetInfoAsync()).Segments.SkipLast(1).Select(static s => s.FileName).ToList();
        var options = fixture.S3Options();
        using var s3 = S3ArchiveClientFactory.CreateClient(options);
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = options.Bucket, Prefix = $"{options.Prefix}/{log}/{partition}/" });
        (listed.S3Objects ?? []).Select(static o => o.Key[(o.Key.LastIndexOf('/') + 1)..]).Should().BeEquivalentTo(sealedNames, "each sealed segment is one object named like its local file");

        var next = 0L;
        await foreach (var record in fixture.Logs.GetLog(log).TailAsync(partition, 0).WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
        {
            record.Id.Should().Be(next);
            record.Payload.ToArray().Should().Equal(Payload(next));
            if (++next == count)
            {
                break;
            }
        }

        next.Should().Be(count);
    }
}
