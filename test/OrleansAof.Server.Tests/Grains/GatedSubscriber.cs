using System.Collections.Concurrent;
using System.Text;
using Orleans.Concurrency;
using OrleansAof.Server.Tests.Fixtures;

namespace OrleansAof.Server.Tests.Grains;

/// <summary>
/// Gates held by the test, by subscriber key (the test cluster lives in the test process): a <see cref="GatedSubscriber"/>
/// handler waits on its gate before it handles a batch, so the test decides when the subscriber may make progress.
/// </summary>
public static class SubscriberGates
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Gates = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, int> Entered = new(StringComparer.Ordinal);

    /// <summary>The gate of <paramref name="subscriber"/> (closed until <see cref="Open"/>).</summary>
    public static Task Of(string subscriber) => Gates.GetOrAdd(subscriber, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public static void Open(string subscriber) => Gates.GetOrAdd(subscriber, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>How many times the handler of <paramref name="subscriber"/> has been entered (blocked or not).</summary>
    public static int EnteredCount(string subscriber) => Entered.GetValueOrDefault(subscriber);

    internal static void Enter(string subscriber) => Entered.AddOrUpdate(subscriber, 1, static (_, n) => n + 1);
}

[Alias("test.IGatedSubscriber")]
public interface IGatedSubscriber : ILogSubscriber
{
    /// <summary>Every record handled, as "partitionKey#id:payload". Interleaves with a handler blocked at its gate.</summary>
    [AlwaysInterleave]
    [Alias("GetRecords")]
    Task<List<string>> GetRecordsAsync();
}

/// <summary>A subscriber whose handler waits on a gate the test controls (<see cref="SubscriberGates"/>).</summary>
public sealed class GatedSubscriber([PersistentState("subscriber", AofClusterFixture.SubscriberStorage)] IPersistentState<LogSubscriberState<RecordedModel>> state)
    : LogSubscriberGrain<RecordedModel>(state), IGatedSubscriber
{
    public Task<List<string>> GetRecordsAsync() => Task.FromResult(Model.Records.ToList());

    protected override async Task OnRecordsAsync(string log, string partition, LogRecordBatch batch)
    {
        var me = this.GetPrimaryKeyString();
        SubscriberGates.Enter(me);
        await SubscriberGates.Of(me);
        for (var i = 0; i < batch.Count; i++)
        {
            var r = batch[i];
            Model.Records.Add($"{log}/{partition}#{r.Id}:{Encoding.UTF8.GetString(r.Payload.Span)}");
        }
    }
}
