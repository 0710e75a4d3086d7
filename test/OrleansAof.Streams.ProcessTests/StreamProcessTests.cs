using System.Diagnostics;
using System.Globalization;
using System.Text;
using FluentAssertions;
using Microsoft.Extensions.Hosting;
using Orleans.Streams;
using OrleansAof.StreamSilo;
using OrleansAof.TestInfrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansAof.Streams.ProcessTests;

/// <summary>
/// <c>AddAppendLogStreams</c> and <c>LogSubscriberGrain</c> in real silo processes over Redis, killed with SIGKILL: a
/// pulling agent's queue taken over by the surviving silo, explicit subscriptions after a full cluster restart (durable
/// and in-memory <c>PubSubStore</c>), and an exactly-once subscriber killed inside a batch.
/// </summary>
[Collection(StreamProcessGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class StreamProcessTests(RedisFixture servers, ITestOutputHelper output)
{
    private const string ExplicitNamespace = "explicit-events";

    [Fact]
    public async Task Sigkill_of_the_silo_running_pulling_agents_the_other_silo_takes_its_queues_over_and_every_event_arrives_in_order()
    {
        var scenario = Stopwatch.StartNew();

        // s0 owns every partition; s1 owns none but runs the pulling agents of half the queues, so killing it takes no
        // partition away. The queues are balanced by name over s0 and s1 (Orleans' deployment-based balancer): with the
        // default consistent-ring balancer, s1 could hold no queue at all (about 1 run in 256) and there was nothing to take over.
        await using var cluster = new StreamSiloCluster(servers.Redis, size: 2, owners: 1, new Dictionary<string, string> { ["BalanceOver"] = "s0,s1" });
        await cluster.StartAsync();
        var (s0, s1) = (cluster["s0"], cluster["s1"]);
        await Wait.UntilAsync(
            () => s1.StartedReceivers().Distinct(StringComparer.Ordinal).Count() == cluster.Partitions / 2,
            () => $"silo s1 runs the pulling agents of {cluster.Partitions / 2} queues (it runs {s1.StartedReceivers().Count})\n{cluster.OutputTail()}",
            TimeSpan.FromSeconds(60));

        using var client = await cluster.ConnectClientAsync(s0);
        var orleans = client.Orleans();
        var onS1 = s1.StartedReceivers().ToHashSet(StringComparer.Ordinal);
        var explicitStreams = PickStreams(client, ExplicitNamespace, onS1, onS1Count: 3, elsewhereCount: 1);
        var implicitStreams = PickStreams(client, ImplicitEventRecorder.Namespace, onS1, onS1Count: 2, elsewhereCount: 0);
        var streams = explicitStreams.Concat(implicitStreams).ToArray();
        foreach (var id in explicitStreams)
        {
            await orleans.GetGrain<IEventRecorder>(Key(id)).SubscribeAsync(ExplicitNamespace, Key(id));
        }

        const int total = 150;
        const int warmUp = 20;
        var provider = orleans.GetStreamProvider(StreamSiloSettings.Provider);
        await Task.WhenAll(streams.Select(id => ProduceAsync(provider, id, 0, warmUp, null)));
        await WaitForAllAsync(orleans, streams, warmUp, cluster);

        // The rest in the background; s1 is SIGKILLed once every stream is past event 70.
        var produced = new int[streams.Length];
        var producing = Task.WhenAll(streams.Select((id, k) => Task.Run(() => ProduceAsync(provider, id, warmUp, total - warmUp, n => Volatile.Write(ref produced[k], n)))));
        await Wait.UntilAsync(() => produced.All(n => n >= 70), "every stream is past event 70");
        var agentsOfS1 = s1.StartedReceivers().ToHashSet(StringComparer.Ordinal);
        var s0Before = s0.StartedReceivers().Count;
        var killedAt = scenario.Elapsed;
        await s1.KillAsync();
        await producing;

        await Wait.UntilAsync(
            () => agentsOfS1.IsSubsetOf(s0.StartedReceivers().Skip(s0Before)),
            () => $"s0 starts the pulling agents of s1's partitions {string.Join(", ", agentsOfS1)}\n{cluster.OutputTail()}",
            TimeSpan.FromSeconds(60));
        var takenOverAt = scenario.Elapsed;
        var duplicates = await WaitForAllAsync(orleans, streams, total, cluster);
        output.WriteLine($"SCENARIO stream agent failover: {streams.Length} streams x {total} events, s1 (agents of {string.Join(", ", agentsOfS1.Order(StringComparer.Ordinal))}) SIGKILLed at {killedAt.TotalSeconds:0.0} s, taken over by s0 after {(takenOverAt - killedAt).TotalSeconds:0.0} s, every event delivered, {duplicates} duplicate deliveries (same token), {scenario.Elapsed.TotalSeconds:0.0} s in all");
    }

    [Theory]
    [InlineData("Redis", true)]
    [InlineData("Memory", false)]
    public async Task Explicit_subscription_after_every_silo_is_SIGKILLed_and_restarted_is_delivered_only_with_a_durable_PubSubStore(string pubSub, bool delivered)
    {
        var scenario = Stopwatch.StartNew();
        await using var cluster = new StreamSiloCluster(servers.Redis, size: 2, owners: 2, new Dictionary<string, string> { ["PubSub"] = pubSub });
        await cluster.StartAsync();
        var key = $"restart-{Guid.NewGuid():N}";
        var id = StreamId.Create(ExplicitNamespace, key);
        using (var client = await cluster.ConnectClientAsync([.. cluster.Silos]))
        {
            await client.Orleans().GetGrain<IEventRecorder>(key).SubscribeAsync(ExplicitNamespace, key);
            await ProduceAsync(client.Orleans().GetStreamProvider(StreamSiloSettings.Provider), id, 0, 10, null);
            await WaitForAllAsync(client.Orleans(), [id], 10, cluster);
            await client.StopAsync();
        }

        foreach (var silo in cluster.Silos)
        {
            await silo.KillAsync();
        }

        await cluster.StartAsync();
        using var after = await cluster.ConnectClientAsync([.. cluster.Silos]);
        var orleans = after.Orleans();

        // A witness subscribed after the restart proves the new events were delivered to the subscribers the cluster knows.
        // It subscribes without a token while the restarted agent may still re-read records from its checkpoint, so it
        // may also get some of events 1..9 (at least once, with their own tokens): only events 10..19 are checked.
        var witness = orleans.GetGrain<IEventRecorder>("witness-" + key);
        await witness.SubscribeAsync(ExplicitNamespace, key);
        await ProduceAsync(orleans.GetStreamProvider(StreamSiloSettings.Provider), id, 10, 10, null);
        await Wait.UntilAsync(async () => Distinct(await witness.GetReceivedAsync()).Count(r => r.Number >= 10) >= 10, () => $"the witness has events 10..19\n{cluster.OutputTail()}", TimeSpan.FromSeconds(60));
        Distinct(await witness.GetReceivedAsync()).Select(r => r.Number).Where(n => n >= 10).Should().Equal(Enumerable.Range(10, 10));

        var recorder = orleans.GetGrain<IEventRecorder>(key);
        if (delivered)
        {
            await WaitForAllAsync(orleans, [id], 20, cluster);
        }
        else
        {
            Distinct(await recorder.GetReceivedAsync()).Select(r => r.Number).Should().Equal(Enumerable.Range(0, 10), "with an in-memory PubSubStore the cluster forgot the subscription");
        }

        output.WriteLine($"SCENARIO full cluster restart, {pubSub} PubSubStore: explicit subscriber {(delivered ? "received" : "did not receive")} the events produced after the restart, {scenario.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Fold_subscriber_SIGKILLed_inside_a_batch_resumes_from_its_last_written_state_folding_every_record_once_with_one_effect_each()
    {
        var scenario = Stopwatch.StartNew();
        using var blockDir = new TempDirectory("fold-block");
        await using var cluster = new StreamSiloCluster(servers.Redis, size: 1, owners: 1, new Dictionary<string, string>
        {
            ["SubscriberBatch"] = "20",
            ["BlockAtId"] = "50",
            ["BlockDir"] = blockDir.Path,
        });
        await cluster.StartAsync();
        var silo = cluster.Silos[0];
        var key = $"fold-{Guid.NewGuid():N}";
        var values = Enumerable.Range(0, 150).Select(i => (i * 7 % 31) + 1).ToArray();
        var partitionKey = PartitionKey.Format("fold", "0");

        using (var client = await cluster.ConnectClientAsync(silo))
        {
            var partition = client.Orleans().GetGrain<IPartitionGrain>(partitionKey);
            for (var i = 0; i < 120; i++)
            {
                (await partition.AppendAsync(Encoding.UTF8.GetBytes(values[i].ToString(CultureInfo.InvariantCulture)))).FirstId.Should().Be(i);
            }

            // The subscription catches up at once, 20 records a batch, and stops inside batch 40..59 at record 50.
            var subscribing = client.Orleans().GetGrain<IFoldSubscriber>(key).SubscribeAsync("fold", "0");
            var blocked = Path.Combine(blockDir.Path, FoldSubscriber.BlockedFile);
            await Wait.UntilAsync(() => File.Exists(blocked), () => $"the subscriber stops inside a batch\n{cluster.OutputTail()}", TimeSpan.FromSeconds(60));
            (await File.ReadAllTextAsync(blocked)).Should().Be("40 50", "records 40..49 of the batch are in the in-memory model when the silo dies");
            await silo.KillAsync();
            await FluentActions.Awaiting(() => subscribing).Should().ThrowAsync<Exception>("the silo died under the call");
        }

        await silo.StartAsync();
        using var after = await cluster.ConnectClientAsync(silo);
        var orleans = after.Orleans();
        var restarted = orleans.GetGrain<IPartitionGrain>(partitionKey);
        for (var i = 120; i < 150; i++)
        {
            (await restarted.AppendAsync(Encoding.UTF8.GetBytes(values[i].ToString(CultureInfo.InvariantCulture)))).FirstId.Should().Be(i);
        }

        var subscriber = orleans.GetGrain<IFoldSubscriber>(key);
        FoldModel model = new();
        await Wait.UntilAsync(async () => (model = await subscriber.GetModelAsync()).Count >= 150, () => $"the subscriber folded 150 records (it has {model.Count})\n{cluster.OutputTail()}", TimeSpan.FromSeconds(60));
        model.Applied.Should().Equal(Enumerable.Range(0, 150).Select(i => (long)i), "every record folded once, in order");
        model.Count.Should().Be(150);
        model.Sum.Should().Be(values.Sum(v => (long)v));

        var sink = orleans.GetGrain<IEffectSink>(key);
        SinkState effects = new();
        await Wait.UntilAsync(async () => (effects = await sink.GetStateAsync()).Deliveries.Count >= 150, () => $"the sink has 150 effects (it has {effects.Deliveries.Count})", TimeSpan.FromSeconds(30));
        var expectedKeys = Enumerable.Range(0, 150).Select(i => $"{partitionKey}#{i}.0").ToArray();
        effects.Deliveries.Keys.Should().BeEquivalentTo(expectedKeys);
        effects.Deliveries.Where(d => d.Value != 1).Should().BeEmpty("each effect is delivered once: the killed batch's effects were never written");
        expectedKeys.Select(k => effects.Values[k]).Should().Equal(values);
        output.WriteLine($"SCENARIO fold subscriber SIGKILLed inside a batch: 150 records folded once, 150 effects delivered once, {scenario.Elapsed.TotalSeconds:0.0} s");
    }

    private static string Key(StreamId id) => id.GetKeyAsString();

    /// <summary>Stream ids of <paramref name="ns"/>: <paramref name="onS1Count"/> whose queue is in <paramref name="onS1"/>, then <paramref name="elsewhereCount"/> whose queue is not.</summary>
    private static List<StreamId> PickStreams(IHost client, string ns, HashSet<string> onS1, int onS1Count, int elsewhereCount)
    {
        var picked = new List<StreamId>();
        var (on, off) = (0, 0);
        for (var i = 0; on < onS1Count || off < elsewhereCount; i++)
        {
            var id = StreamId.Create(ns, $"st-{i}-{Guid.NewGuid():N}");
            var isOnS1 = onS1.Contains(PartitionKey.Format(StreamSiloSettings.Provider, StreamSiloCluster.PartitionOf(client, id)));
            if (isOnS1 && on < onS1Count)
            {
                on++;
                picked.Add(id);
            }
            else if (!isOnS1 && off < elsewhereCount)
            {
                off++;
                picked.Add(id);
            }
        }

        return picked;
    }

    private static async Task ProduceAsync(IStreamProvider provider, StreamId id, int from, int count, Action<int>? progress)
    {
        var stream = provider.GetStream<StreamEvent>(id);
        for (var i = from; i < from + count; i++)
        {
            await stream.OnNextAsync(new StreamEvent(Key(id), i));
            progress?.Invoke(i + 1);
        }
    }

    private static Task<List<ReceivedEvent>> ReceivedAsync(IClusterClient orleans, StreamId id) =>
        id.GetNamespace() == ImplicitEventRecorder.Namespace
            ? orleans.GetGrain<IImplicitEventRecorder>(Key(id)).GetReceivedAsync()
            : orleans.GetGrain<IEventRecorder>(Key(id)).GetReceivedAsync();

    /// <summary>The deliveries with their duplicates removed (first one kept); every duplicate must carry the same event as the first delivery of its token.</summary>
    private static List<ReceivedEvent> Distinct(List<ReceivedEvent> received)
    {
        var byToken = new Dictionary<(long, int), int>();
        var distinct = new List<ReceivedEvent>();
        foreach (var r in received)
        {
            if (byToken.TryGetValue((r.RecordId, r.EventIndex), out var number))
            {
                r.Number.Should().Be(number, $"a repeated delivery of token {r.RecordId}.{r.EventIndex} carries the same event");
                continue;
            }

            byToken[(r.RecordId, r.EventIndex)] = r.Number;
            distinct.Add(r);
        }

        return distinct;
    }

    /// <summary>Waits until every stream's subscriber has events 0..count-1, checks exact numbers, order and tokens; returns the duplicate deliveries seen.</summary>
    private static async Task<int> WaitForAllAsync(IClusterClient orleans, IReadOnlyList<StreamId> streams, int count, StreamSiloCluster cluster)
    {
        var duplicates = 0;
        foreach (var id in streams)
        {
            List<ReceivedEvent> received = [];
            await Wait.UntilAsync(
                async () => Distinct(received = await ReceivedAsync(orleans, id)).Count >= count,
                () => $"the subscriber of {id} has {count} events (it has {Distinct(received).Count}: {string.Join(", ", received.Select(r => $"{r.Number}@{r.RecordId}"))})\n{cluster.OutputTail()}",
                TimeSpan.FromSeconds(90));
            var distinct = Distinct(received);
            distinct.Select(r => r.Number).Should().Equal(Enumerable.Range(0, count), $"stream {id} delivers every event once after de-duplication by token, in order");
            distinct.Select(r => r.RecordId).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
            duplicates += received.Count - distinct.Count;
        }

        return duplicates;
    }
}
