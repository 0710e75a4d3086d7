using System.Globalization;

namespace OrleansAof.StressHarness;

/// <summary>
/// Reads random old ranges; half of them start in a segment the last info snapshot showed evicted to the archive, so those
/// reads are served from the archive (or its read cache). Every record is checked like a tail's.
/// </summary>
internal sealed class ReaderWorker(StressContext context, int number)
{
    private readonly Random _random = context.RandomFor(2000 + number);
    private readonly WorkerStatus _status = context.Status($"reader {number}");

    public async Task RunAsync()
    {
        var stop = context.StopWorkload.Token;
        while (!stop.IsCancellationRequested)
        {
            var partition = _random.Next(context.Options.Partitions);
            var acknowledged = context.Ledgers[partition].MaxAcknowledged;
            if (acknowledged < 0)
            {
                await PauseAsync(stop);
                continue;
            }

            var evicted = context.Info(partition)?.Segments.Where(s => s.Status == "LocalEvicted").ToList() ?? [];
            SegmentSummary? archived = null;
            long from;
            if (evicted.Count > 0 && _random.Next(2) == 0)
            {
                archived = evicted[_random.Next(evicted.Count)];
                from = _random.NextInt64(archived.BaseId, archived.LastId + 1);
            }
            else
            {
                from = _random.NextInt64(0, acknowledged + 1);
            }

            var max = _random.Next(1, 500);
            await ReadAsync(partition, from, max, archived);
        }

        _status.Set("done");
    }

    private async Task ReadAsync(int partition, long from, int max, SegmentSummary? archived)
    {
        _status.Set(string.Create(CultureInfo.InvariantCulture, $"reading {max} from id {from} of partition {partition}{(archived is null ? "" : " (evicted segment " + archived.BaseId + ")")}"));
        LogRecordBatch batch;
        try
        {
            batch = await context.Log.ReadAsync(context.PartitionName(partition), from, max);
        }
        catch (Exception e) when (ProducerWorker.IsRetryable(e))
        {
            Interlocked.Increment(ref context.Counters.ReadsUnavailable);
            context.Error("read", e);
            await PauseAsync(context.StopWorkload.Token);
            return;
        }
        catch (Exception e)
        {
            context.Violation($"reader {number}: reading {max} from id {from} of partition {partition} failed with {StressContext.Kind(e)}: {context.Detail(e)}");
            return;
        }

        Interlocked.Increment(ref context.Counters.Reads);
        Interlocked.Add(ref context.Counters.RecordsRead, batch.Count);
        if (batch.Count > max || (batch.Count > 0 && batch.NextId != from + batch.Count))
        {
            context.Violation($"reader {number}: a read of {max} from id {from} of partition {partition} returned {batch.Count} records and next id {batch.NextId}");
        }

        long fromArchive = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var record = batch[i];
            if (record.Id != from + i)
            {
                context.Violation($"reader {number}: a read from id {from} of partition {partition} returned id {record.Id} at position {i}");
                break;
            }

            context.CheckRecord(partition, record, $"reader {number}", out _);
            if (archived is not null && record.Id <= archived.LastId)
            {
                fromArchive++;
            }
        }

        if (fromArchive > 0)
        {
            Interlocked.Increment(ref context.Counters.ReadsFromArchive);
            Interlocked.Add(ref context.Counters.RecordsReadFromArchive, fromArchive);
        }
    }

    private async Task PauseAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(_random.Next(20, 200), cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
