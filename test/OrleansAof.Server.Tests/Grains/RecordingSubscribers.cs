using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using OrleansAof.Server.Tests.Fixtures;

namespace OrleansAof.Server.Tests.Grains;

[GenerateSerializer]
[Alias("test.RecordedModel")]
public sealed class RecordedModel
{
    /// <summary>Every record handled, as "partitionKey#id:payload".</summary>
    [Id(0)]
    public List<string> Records { get; set; } = [];
}

[Alias("test.IRecordingSubscriber")]
public interface IRecordingSubscriber : ILogSubscriber
{
    [Alias("GetRecords")]
    Task<List<string>> GetRecordsAsync();
}

[Alias("test.IExplicitSubscriber")]
public interface IExplicitSubscriber : IRecordingSubscriber;

[Alias("test.IImplicitSubscriber")]
public interface IImplicitSubscriber : IRecordingSubscriber;

/// <summary>Process-wide arrival times of records at subscriber grains (the test cluster lives in the test process).</summary>
public static class Arrivals
{
    public static ConcurrentDictionary<(string Subscriber, string Partition, long Id), long> Times { get; } = new();
}

public abstract class RecordingSubscriberBase(IPersistentState<LogSubscriberState<RecordedModel>> state) : LogSubscriberGrain<RecordedModel>(state), IRecordingSubscriber
{
    public Task<List<string>> GetRecordsAsync() => Task.FromResult(Model.Records.ToList());

    protected override Task OnRecordsAsync(string log, string partition, LogRecordBatch batch)
    {
        var now = Stopwatch.GetTimestamp();
        var me = this.GetPrimaryKeyString();
        for (var i = 0; i < batch.Count; i++)
        {
            var r = batch[i];
            Model.Records.Add($"{log}/{partition}#{r.Id}:{Encoding.UTF8.GetString(r.Payload.Span)}");
            Arrivals.Times.TryAdd((me, $"{log}/{partition}", r.Id), now);
        }

        return Task.CompletedTask;
    }
}

/// <summary>Follows the partitions it is told to subscribe to.</summary>
public sealed class RecordingSubscriber([PersistentState("subscriber", AofClusterFixture.SubscriberStorage)] IPersistentState<LogSubscriberState<RecordedModel>> state)
    : RecordingSubscriberBase(state), IExplicitSubscriber;

/// <summary>Follows, through the implicit stream subscription, every partition of logs named "implicit*" (one activation per partition).</summary>
[ImplicitStreamSubscription(AppendLogStreams.TailNamespace)]
public sealed class ImplicitRecordingSubscriber([PersistentState("subscriber", AofClusterFixture.SubscriberStorage)] IPersistentState<LogSubscriberState<RecordedModel>> state)
    : RecordingSubscriberBase(state), IImplicitSubscriber
{
    protected override bool Follows(string log, string partition) => log.StartsWith("implicit", StringComparison.Ordinal);
}
