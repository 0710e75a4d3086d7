using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.Server.Tests.Grains;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>
/// The subscriber base is exactly once also when its handler fails: a batch that throws halfway leaves the model as it
/// was, the outbox delivers each effect once, and an implicit subscriber that nothing calls is woken by the stream.
/// </summary>
[Collection(ThreeSiloClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class ExactlyOnceSubscriberTests(ThreeSiloCluster fixture)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Handler_failing_halfway_through_random_batches_folds_every_record_exactly_once_and_delivers_each_effect_once(int seed)
    {
        var random = new Random(seed);
        var log = $"flaky-{Guid.NewGuid():N}";
        var me = $"flaky-{seed}-{Guid.NewGuid():N}";
        const int records = 200;
        var values = Enumerable.Range(0, records).Select(_ => (long)random.Next(0, 1000)).ToArray();

        // About one record in twenty fails once or twice; about one effect in ten is refused once or twice by the sink.
        var recordPlan = new ConcurrentDictionary<long, int>();
        var effectPlan = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < records; id++)
        {
            if (random.Next(20) == 0)
            {
                recordPlan[id] = random.Next(1, 3);
            }

            if (values[id] % 3 == 0 && random.Next(10) == 0)
            {
                effectPlan[EffectKey(log, id)] = random.Next(1, 3);
            }
        }

        var plannedHandlerFailures = recordPlan.Values.Sum();
        var plannedEffectFailures = effectPlan.Values.Sum();
        FailurePlans.Records[me] = recordPlan;
        FailurePlans.Effects[me] = effectPlan;

        var subscriber = fixture.Client.GetGrain<IFlakySubscriber>(me);
        await subscriber.SubscribeAsync(log, "0");
        var grain = fixture.Partition(log);
        for (var next = 0; next < records;)
        {
            var size = Math.Min(random.Next(1, 17), records - next);
            var batch = Enumerable.Range(next, size).Select(i => Encoding.UTF8.GetBytes(values[i].ToString(CultureInfo.InvariantCulture))).ToArray();
            (await grain.AppendBatchAsync(RecordPayloads.From(batch))).FirstId.Should().Be(next);
            next += size;
        }

        await Wait.UntilAsync(
            async () => (await subscriber.GetModelAsync()).Ids.Count >= records && await subscriber.GetPendingEffectsAsync() == 0,
            $"the subscriber folded {records} records and delivered every effect (seed {seed})");

        var model = await subscriber.GetModelAsync();
        model.Ids.Should().Equal(Enumerable.Range(0, records).Select(i => (long)i), "each record is folded exactly once, in order");
        model.Sum.Should().Be(values.Sum());
        var expectedEffects = Enumerable.Range(0, records).Where(i => values[i] % 3 == 0).Select(i => $"{EffectKey(log, i)}={values[i]}");
        (await fixture.Client.GetGrain<IEffectSink>(me).GetDeliveriesAsync()).Should().Equal(expectedEffects, "each effect is delivered once, in order");
        FailurePlans.HandlerFailures.GetValueOrDefault(me).Should().Be(plannedHandlerFailures, "every planned handler failure happened");
        FailurePlans.EffectFailures.GetValueOrDefault(me).Should().Be(plannedEffectFailures, "every planned delivery failure happened");
        plannedHandlerFailures.Should().BePositive("the seed plans handler failures");
        (await subscriber.GetCheckpointsAsync()).Should().Equal(new Dictionary<string, long> { [PartitionKey.Format(log, "0")] = records });
    }

    [Fact]
    public async Task Implicit_subscriber_that_nothing_calls_is_activated_by_the_stream_and_folds_every_record()
    {
        var log = $"woken-{Guid.NewGuid():N}";
        var key = PartitionKey.Format(log, "0");
        var grain = fixture.Partition(log);
        for (var i = 0; i < 5; i++)
        {
            (await grain.AppendAsync(Encoding.UTF8.GetBytes($"w{i}"))).FirstId.Should().Be(i);
        }

        // The test never calls the subscriber: only the partition's stream notification can activate it.
        await Wait.UntilAsync(() => WokenSubscribers.Records.TryGetValue(key, out var ids) && ids.Count >= 5, "the stream woke the implicit subscriber and it folded records 0..4");
        WokenSubscribers.Records[key].Should().Equal([0L, 1L, 2L, 3L, 4L]);
        WokenSubscribers.Activations[key].Should().Be(1);
    }

    private static string EffectKey(string log, long id) => $"{log}/0#{id}.0";
}
