using System.Diagnostics;
using OrleansAof.Server;

namespace OrleansAof.TailLatency;

[GenerateSerializer]
public sealed class EmptyModel;

public interface ILatencySubscriber : ILogSubscriber;

/// <summary>Notes when each record reaches it.</summary>
public sealed class LatencySubscriber([PersistentState("s", "latency")] IPersistentState<LogSubscriberState<EmptyModel>> state)
    : LogSubscriberGrain<EmptyModel>(state), ILatencySubscriber
{
    protected override Task OnRecordsAsync(string log, string partition, LogRecordBatch batch)
    {
        var now = Stopwatch.GetTimestamp();
        var me = int.Parse(this.GetPrimaryKeyString(), System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < batch.Count; i++)
        {
            Probe.Arrived(me, batch.Entries[i].Id, now);
        }

        return Task.CompletedTask;
    }
}

/// <summary>Arrival times by subscriber and id (the cluster runs in this process).</summary>
public static class Probe
{
    private static long[][] _arrivals = [];
    private static int[] _highest = [];

    public static void Reset(int subscribers, int records)
    {
        _arrivals = [.. Enumerable.Range(0, subscribers).Select(_ => new long[records])];
        _highest = new int[subscribers];
    }

    public static void Arrived(int subscriber, long id, long timestamp)
    {
        _arrivals[subscriber][id] = timestamp;
        Volatile.Write(ref _highest[subscriber], (int)id);
    }

    private static bool Reached(int id)
    {
        for (var s = 0; s < _highest.Length; s++)
        {
            if (Volatile.Read(ref _highest[s]) < id || Volatile.Read(ref _arrivals[s][id]) == 0)
            {
                return false;
            }
        }

        return true;
    }

    public static long Arrival(int subscriber, int id) => _arrivals[subscriber][id];

    public static Task WaitAsync(int id, TimeSpan timeout) =>
        OrleansAof.TestInfrastructure.Wait.UntilAsync(() => Reached(id), $"every subscriber has id {id}", timeout);
}

public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "aof-latency-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
