using System.Text;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>
/// One silo holding many partitions: at most <see cref="AppendLogOptions.MaxOpenPartitions"/> stay open (the least
/// recently used closes when one more opens, and reopens on its next call with its records), and each partition's disk
/// use follows its data (64 MiB segments, yet no partition reserves one).
/// </summary>
[Collection(ManyPartitionsClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class ManyPartitionsTests(ManyPartitionsCluster fixture)
{
    [Fact]
    public async Task A_partition_opened_beyond_MaxOpenPartitions_closes_the_least_recently_used_one()
    {
        var log = fixture.Logs.GetLog($"lru-{Guid.NewGuid():N}");
        for (var p = 0; p < ManyPartitionsCluster.MaxOpen; p++)
        {
            (await log.AppendToPartitionAsync(Name(p), Record(p, 0))).FirstId.Should().Be(0);
        }

        await Wait.UntilAsync(() => OpenOf(log.Name).Count == ManyPartitionsCluster.MaxOpen && fixture.Open.Count == ManyPartitionsCluster.MaxOpen, "the partitions of earlier tests to close");

        // Partition 0 is used again; partition 1 is now the least recently used.
        (await log.ReadAsync("0", 0)).Records.Select(r => r.Id).Should().Equal(0);
        (await log.AppendToPartitionAsync(Name(ManyPartitionsCluster.MaxOpen), Record(ManyPartitionsCluster.MaxOpen, 0))).FirstId.Should().Be(0);
        await Wait.UntilAsync(() => !OpenOf(log.Name).Contains("1"), "partition 1 (least recently used) to close");
        OpenOf(log.Name).Should().BeEquivalentTo(Enumerable.Range(0, ManyPartitionsCluster.MaxOpen + 1).Where(p => p != 1).Select(Name));

        // It reopens on its next call, with its record; that closes the next least recently used (partition 2).
        var reread = await log.ReadAsync("1", 0);
        reread.Records.Select(r => (r.Id, Encoding.UTF8.GetString(r.Payload.Span))).Should().Equal((0L, Encoding.UTF8.GetString(Record(1, 0))));
        await Wait.UntilAsync(() => !OpenOf(log.Name).Contains("2"), "partition 2 to close when partition 1 reopened");
        OpenOf(log.Name).Should().BeEquivalentTo(Enumerable.Range(0, ManyPartitionsCluster.MaxOpen + 1).Where(p => p != 2).Select(Name));
    }

    [Fact]
    public async Task A_thousand_partitions_each_read_back_their_exact_records_within_twice_the_data_plus_1MiB_each()
    {
        const int partitions = 1000;
        var log = fixture.Logs.GetLog($"thousand-{Guid.NewGuid():N}");
        var evictionsBefore = fixture.Open.Evictions;
        long payloadBytes = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, partitions), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (p, _) =>
        {
            for (var i = 0; i < RecordsOf(p); i++)
            {
                var record = Record(p, i);
                (await log.AppendToPartitionAsync(Name(p), record)).FirstId.Should().Be(i, "record {0} of partition {1}", i, p);
                Interlocked.Add(ref payloadBytes, record.Length);
            }
        });

        await Parallel.ForEachAsync(Enumerable.Range(0, partitions), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (p, _) =>
        {
            var batch = await log.ReadAsync(Name(p), 0);
            batch.Records.Select(r => r.Id).Should().Equal(Enumerable.Range(0, RecordsOf(p)).Select(i => (long)i), "partition {0}", p);
            batch.Records.Select(r => r.Payload.ToArray()).Should().Equal(Enumerable.Range(0, RecordsOf(p)).Select(i => Record(p, i)), static (a, b) => a.AsSpan().SequenceEqual(b), "partition {0}", p);
        });

        await Wait.UntilAsync(() => fixture.Open.Count <= ManyPartitionsCluster.MaxOpen, () => $"the silo to close partitions down to {ManyPartitionsCluster.MaxOpen}; {fixture.Open.Count} open");
        (fixture.Open.Evictions - evictionsBefore).Should().BeGreaterThanOrEqualTo(partitions - ManyPartitionsCluster.MaxOpen, "every partition opened beyond the bound closed the least recently used one");
        fixture.Open.LiveCount.Should().BeLessThanOrEqualTo(ManyPartitionsCluster.MaxOpen);

        var used = DiskUsage.AllocatedBytes(Path.Combine(fixture.Data.Path, fixture.SiloNames[0], log.Name));
        used.Should().BeLessThanOrEqualTo((2 * payloadBytes) + (partitions * 1024L * 1024), "{0} partitions hold {1} payload bytes", partitions, payloadBytes);
    }

    [Fact]
    public async Task Closed_partitions_leave_no_id_bound_record_or_stream_grain_in_memory()
    {
        // Twice the bound: the first half closes as least recently used while the second half opens.
        var log = fixture.Logs.GetLog($"grains-{Guid.NewGuid():N}");
        for (var p = 0; p < 2 * ManyPartitionsCluster.MaxOpen; p++)
        {
            (await log.AppendToPartitionAsync(Name(p), Record(p, 0))).FirstId.Should().Be(0);
        }

        await Wait.UntilAsync(() => OpenOf(log.Name).Count == ManyPartitionsCluster.MaxOpen && fixture.Open.Count == ManyPartitionsCluster.MaxOpen, "the first half to close");

        // One id bound record per open partition (the closed ones deactivated theirs), and no stream grain once the tail
        // streams are idle for StreamGrainCollectionAge (each partition's first append published on its stream).
        int records = -1, pubSub = -1;
        await Wait.UntilAsync(
            async () =>
            {
                records = await ActivationsAsync("PartitionRecordGrain");
                pubSub = await ActivationsAsync("PubSubRendezvousGrain");
                return records == ManyPartitionsCluster.MaxOpen && pubSub == 0;
            },
            () => $"record grains to fall to {ManyPartitionsCluster.MaxOpen} (last {records}) and pub-sub grains to 0 (last {pubSub})",
            TimeSpan.FromSeconds(60));
        (await ActivationsAsync("PartitionGrain")).Should().Be(ManyPartitionsCluster.MaxOpen);

        // A closed partition reopens with its record and its id bound (the bound is read back from the ownership storage).
        (await log.AppendToPartitionAsync("0", Record(0, 1))).FirstId.Should().Be(1);
        (await log.ReadAsync("0", 0)).Records.Select(r => r.Id).Should().Equal(0, 1);
    }

    private async Task<int> ActivationsAsync(string grainClass)
    {
        var stats = await fixture.Client.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        return stats.Where(s => s.GrainType.Split(',')[0].EndsWith("." + grainClass, StringComparison.Ordinal)).Sum(s => s.ActivationCount);
    }

    private static string Name(int partition) => partition.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static int RecordsOf(int partition) => (partition % 3) + 1;

    private static byte[] Record(int partition, int index)
    {
        var bytes = new byte[40 + ((partition * 7) % 200)];
        Encoding.UTF8.GetBytes($"{partition}:{index}:").CopyTo(bytes, 0);
        for (var i = 12; i < bytes.Length; i++)
        {
            bytes[i] = (byte)((partition * 31) + (index * 17) + i);
        }

        return bytes;
    }

    private HashSet<string> OpenOf(string log) =>
        [.. fixture.Open.OpenKeys.Select(PartitionKey.Parse).Where(k => k.Log == log).Select(k => k.Partition)];
}

/// <summary>One silo that keeps at most <see cref="MaxOpen"/> partitions open, with the default 64 MiB segments and preallocation.</summary>
public sealed class ManyPartitionsCluster() : AofClusterFixture(1)
{
    public const int MaxOpen = 8;

    internal OpenPartitions Open => Cluster.Silos[0].ServiceProvider.GetRequiredService<OpenPartitions>();

    protected override void ConfigureLog(AppendLogOptions options)
    {
        options.MaxOpenPartitions = MaxOpen;
        options.MaxSegmentBytes = 64L * 1024 * 1024;
        options.MaxRecordBytes = 1024 * 1024;
        options.Preallocation = Storage.PreallocationMode.Auto;
        options.StreamGrainCollectionAge = TimeSpan.FromSeconds(2);
    }

    protected override void ConfigureSilo(ISiloBuilder silo) =>
        silo.Configure<Orleans.Configuration.GrainCollectionOptions>(o => o.CollectionQuantum = TimeSpan.FromSeconds(1));
}

[CollectionDefinition(Name)]
public sealed class ManyPartitionsClusterGroup : ICollectionFixture<ManyPartitionsCluster>
{
    public const string Name = "many-partitions cluster";
}
