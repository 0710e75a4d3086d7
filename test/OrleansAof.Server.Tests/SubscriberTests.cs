using System.Text;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.Server.Tests.Grains;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

[Collection(ThreeSiloClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class SubscriberTests(ThreeSiloCluster fixture)
{
    private static readonly string[] ThreePartitions = ["0", "1", "2"];

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static List<string> Expected(string key, int from, int count) => [.. Enumerable.Range(from, count).Select(i => $"{key}#{i}:r{i}")];

    [Fact]
    public async Task Explicit_subscriber_receives_every_record_once_and_in_order()
    {
        var log = $"sub-{Guid.NewGuid():N}";
        var key = PartitionKey.Format(log, "0");
        var grain = fixture.Partition(log);
        for (var i = 0; i < 3; i++)
        {
            await grain.AppendAsync(Bytes($"r{i}"));
        }

        var subscriber = fixture.Client.GetGrain<IExplicitSubscriber>($"explicit-{Guid.NewGuid():N}");
        await subscriber.SubscribeAsync(log, "0", fromId: 1);
        for (var i = 3; i < 40; i++)
        {
            await grain.AppendAsync(Bytes($"r{i}"));
        }

        await Wait.UntilAsync(async () => (await subscriber.GetRecordsAsync()).Count >= 39, "the subscriber has records 1..39");
        (await subscriber.GetRecordsAsync()).Should().Equal(Expected(key, 1, 39));
        (await subscriber.GetCheckpointsAsync()).Should().Equal(new Dictionary<string, long> { [key] = 40 });
    }

    [Fact]
    public async Task Subscriber_gets_every_record_exactly_once_in_order_when_notifications_are_dropped_duplicated_and_reordered()
    {
        var chaos = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<ChaosTailInterceptor>();
        var log = $"{ChaosTailInterceptor.Prefix}-{Guid.NewGuid():N}";
        var keys = new[] { PartitionKey.Format(log, "0"), PartitionKey.Format(log, "1"), PartitionKey.Format(log, "2") };
        var subscriber = fixture.Client.GetGrain<IExplicitSubscriber>($"chaos-{Guid.NewGuid():N}");
        foreach (var p in ThreePartitions)
        {
            await subscriber.SubscribeAsync(log, p);
        }

        const int perPartition = 150;
        await Task.WhenAll(ThreePartitions.Select(p => Task.Run(async () =>
        {
            var grain = fixture.Partition(log, p);
            for (var i = 0; i < perPartition; i += 3)
            {
                // Single appends and small batches, so that notifications carry many different high-water marks.
                if (i % 2 == 0)
                {
                    await grain.AppendBatchAsync(RecordPayloads.From(Bytes($"r{i}"), Bytes($"r{i + 1}"), Bytes($"r{i + 2}")));
                }
                else
                {
                    await grain.AppendAsync(Bytes($"r{i}"));
                    await grain.AppendAsync(Bytes($"r{i + 1}"));
                    await grain.AppendAsync(Bytes($"r{i + 2}"));
                }
            }
        })));

        await Wait.UntilAsync(async () => (await subscriber.GetRecordsAsync()).Count >= 3 * perPartition, "the subscriber has every record of the three partitions");
        var records = await subscriber.GetRecordsAsync();
        records.Should().HaveCount(3 * perPartition, "no record is delivered twice");
        foreach (var key in keys)
        {
            records.Where(r => r.StartsWith(key + "#", StringComparison.Ordinal)).Should().Equal(Expected(key, 0, perPartition));
        }

        (chaos.Dropped + Chaos(fixture, c => c.Dropped)).Should().BeGreaterThan(0);
        (chaos.Duplicated + Chaos(fixture, c => c.Duplicated)).Should().BeGreaterThan(0);
        (chaos.Reordered + Chaos(fixture, c => c.Reordered)).Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Implicit_subscriber_follows_its_partition_from_the_first_record()
    {
        var log = $"implicit-{Guid.NewGuid():N}";
        var key = PartitionKey.Format(log, "3");
        var grain = fixture.Partition(log, "3");
        for (var i = 0; i < 25; i++)
        {
            await grain.AppendAsync(Bytes($"r{i}"));
        }

        var subscriber = fixture.Client.GetGrain<IImplicitSubscriber>(key);
        await Wait.UntilAsync(async () => (await subscriber.GetRecordsAsync()).Count >= 25, "the implicit subscriber has the 25 records");
        (await subscriber.GetRecordsAsync()).Should().Equal(Expected(key, 0, 25));
    }

    [Fact]
    public async Task Subscriber_resumes_from_its_checkpoint_after_deactivation()
    {
        var log = $"sub-{Guid.NewGuid():N}";
        var key = PartitionKey.Format(log, "0");
        var grain = fixture.Partition(log);
        var subscriber = fixture.Client.GetGrain<IExplicitSubscriber>($"resume-{Guid.NewGuid():N}");
        await subscriber.SubscribeAsync(log, "0");
        for (var i = 0; i < 10; i++)
        {
            await grain.AppendAsync(Bytes($"r{i}"));
        }

        await Wait.UntilAsync(async () => (await subscriber.GetRecordsAsync()).Count == 10, "the subscriber has the first 10 records");
        await fixture.Cluster.DeactivateAsync(subscriber);
        await fixture.Cluster.DeactivateAsync(grain);
        for (var i = 10; i < 20; i++)
        {
            await grain.AppendAsync(Bytes($"r{i}"));
        }

        await Wait.UntilAsync(async () => (await subscriber.GetRecordsAsync()).Count >= 20, "the reactivated subscriber has all 20 records");
        (await subscriber.GetRecordsAsync()).Should().Equal(Expected(key, 0, 20));
    }

    private static long Chaos(ThreeSiloCluster fixture, Func<ChaosTailInterceptor, long> counter) =>
        fixture.Cluster.Silos.Skip(1).Sum(s => counter(s.ServiceProvider.GetRequiredService<ChaosTailInterceptor>()));
}
