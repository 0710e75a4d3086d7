using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using OrleansAof.Client;

namespace OrleansAof.StressHarness;

/// <summary>Counters of a run, updated with interlocked operations by every worker.</summary>
internal sealed class StressCounters
{
    public long AppendCalls;
    public long AppendsAcknowledged;
    public long AppendsRetried;
    public long DuplicateAcks;
    public long Reads;
    public long RecordsRead;
    public long ReadsFromArchive;
    public long RecordsReadFromArchive;
    public long ReadsUnavailable;
    public long SubscriberRecords;
    public long SubscriberJoins;
    public long SubscriberLeaves;
    public long TailErrors;
    public long Flushes;
    public long Seals;
    public long PolicySwitches;
    public long Deactivations;
    public long SiloKills;
    public long SiloRestarts;
    public long InfoSnapshots;
    public long LastAckTimestamp;
}

/// <summary>What one worker is doing right now, for the stall report.</summary>
internal sealed class WorkerStatus(string name)
{
    private string _doing = "starting";
    private long _since = Stopwatch.GetTimestamp();

    public string Name { get; } = name;

    public void Set(string doing)
    {
        Volatile.Write(ref _doing, doing);
        Volatile.Write(ref _since, Stopwatch.GetTimestamp());
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Name}: {Volatile.Read(ref _doing)} (for {Stopwatch.GetElapsedTime(Volatile.Read(ref _since)).TotalSeconds:0.0} s)");
}

/// <summary>State shared by the workers of one run.</summary>
internal sealed class StressContext
{
    private const int MaxStoredViolations = 200;
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentDictionary<string, long> _errorKinds = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<WorkerStatus> _statuses = [];
    private readonly PartitionStatus?[] _info;
    private long _violationCount;

    public StressContext(StressOptions options, int seed, string logName, StressTarget target)
    {
        Options = options;
        Seed = seed;
        LogName = logName;
        Target = target;
        Log = target.Logs.GetLog(logName);
        Ledgers = [.. Enumerable.Range(0, options.Partitions).Select(_ => new PartitionLedger())];
        _info = new PartitionStatus?[options.Partitions];
        Counters.LastAckTimestamp = Stopwatch.GetTimestamp();
    }

    public StressOptions Options { get; }

    public int Seed { get; }

    public string LogName { get; }

    public StressTarget Target { get; }

    public AppendLogHandle Log { get; }

    public PartitionLedger[] Ledgers { get; }

    public StressCounters Counters { get; } = new();

    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    /// <summary>Producers stop starting new batches (they still finish the ones in flight).</summary>
    public CancellationTokenSource StopWorkload { get; } = new();

    /// <summary>Everything stops at once (a stall, or the caller's cancellation).</summary>
    public CancellationTokenSource Abort { get; } = new();

    public long ViolationCount => Interlocked.Read(ref _violationCount);

    public IReadOnlyList<string> Violations => [.. _violations];

    public IReadOnlyDictionary<string, long> ErrorKinds => new SortedDictionary<string, long>(_errorKinds, StringComparer.Ordinal);

    public string PartitionName(int index) => Log.PartitionName(index);

    public Random RandomFor(int worker) => new(unchecked(Seed + (worker * 7919)));

    public WorkerStatus Status(string name)
    {
        var status = new WorkerStatus(name);
        _statuses.Add(status);
        return status;
    }

    public string DescribeWorkers() => string.Join(Environment.NewLine, _statuses.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => "  " + s));

    public void Violation(string what)
    {
        var n = Interlocked.Increment(ref _violationCount);
        var line = string.Create(CultureInfo.InvariantCulture, $"[{Clock.Elapsed:hh\\:mm\\:ss}] {what}");
        if (n <= MaxStoredViolations)
        {
            _violations.Enqueue(line);
        }

        Console.Error.WriteLine("VIOLATION " + line);
    }

    /// <summary>Counts an expected, retryable error by kind (reported in the summary).</summary>
    public void Error(string where, Exception e) => _errorKinds.AddOrUpdate(where + ": " + Kind(e), 1, static (_, n) => n + 1);

    /// <summary>The exception's message, with its stack for the first few unexpected ones (to find where they come from).</summary>
    public string Detail(Exception e)
    {
        if (e is AppendLogException || Interlocked.Increment(ref _detailed) > 5)
        {
            return e.Message;
        }

        var text = e.ToString();
        return text.Length > 3000 ? text[..3000] : text;
    }

    private int _detailed;

    public static string Kind(Exception e) => e is AggregateException { InnerException: { } inner } ? Kind(inner) : e.GetType().Name;

    public PartitionStatus? Info(int partition) => Volatile.Read(ref _info[partition]);

    public void SetInfo(int partition, PartitionStatus info) => Volatile.Write(ref _info[partition], info);

    /// <summary>Checks one record read back (by a reader, a tail or the final scan): its bytes and, once acknowledged, its identity.</summary>
    public bool CheckRecord(int partition, LogRecord record, string who, out RecordIdentity identity)
    {
        var problem = StressPayload.Verify(record.Payload.Span, partition, out identity);
        if (problem is not null)
        {
            Violation($"{who}: partition {partition} id {record.Id}: {problem}");
            return false;
        }

        if (Ledgers[partition].Get(record.Id) is { } acknowledged && acknowledged != identity)
        {
            Violation($"{who}: partition {partition} id {record.Id} holds {identity} but was acknowledged for {acknowledged}");
            return false;
        }

        return true;
    }

    /// <summary>The segment statuses an info snapshot may show.</summary>
    public static readonly HashSet<string> ValidStatuses = new(["Active", "Sealed", "Archiving", "Archived", "LocalEvicted"], StringComparer.Ordinal);

    /// <summary>Checks a snapshot of a partition against what was acknowledged before it was taken.</summary>
    public void CheckInfo(int partition, PartitionStatus info, long acknowledgedBefore, string who)
    {
        var problems = new StringBuilder();
        if (info.LastId < acknowledgedBefore)
        {
            problems.Append(CultureInfo.InvariantCulture, $"last id {info.LastId} is below acknowledged id {acknowledgedBefore}; ");
        }

        if (info.DurableId > info.LastId || info.FirstId != 0)
        {
            problems.Append(CultureInfo.InvariantCulture, $"first/durable/last ids {info.FirstId}/{info.DurableId}/{info.LastId} are incoherent; ");
        }

        var segments = info.Segments;
        if (info.State == "NeverCreated")
        {
            // Nothing was written yet: reads answer an empty partition that has no segment until the first append.
            if (acknowledgedBefore >= 0 || info.LastId != -1 || segments.Count != 0)
            {
                Violation($"{who}: partition {partition} info: reported never created with last id {info.LastId}, {segments.Count} segments and acknowledged id {acknowledgedBefore}");
            }

            return;
        }

        if (segments.Count == 0 || segments[0].BaseId != 0 || segments[^1].Status != "Active" || segments[^1].LastId != info.LastId)
        {
            problems.Append("the segment list does not start at 0 or does not end with the active segment at the last id; ");
        }

        for (var i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            if (!ValidStatuses.Contains(s.Status) || (s.Status == "Active" && i != segments.Count - 1))
            {
                problems.Append(CultureInfo.InvariantCulture, $"segment {s.BaseId} has status {s.Status}; ");
            }

            if (s.LastId - s.BaseId + 1 != s.RecordCount || (i > 0 && s.BaseId != segments[i - 1].LastId + 1))
            {
                problems.Append(CultureInfo.InvariantCulture, $"segment {s.BaseId}..{s.LastId} ({s.RecordCount} records) is not contiguous with its neighbours; ");
            }
        }

        if (problems.Length > 0)
        {
            Violation($"{who}: partition {partition} info: {problems.ToString().TrimEnd(' ', ';')}");
        }
    }

    public void Acknowledged(long records)
    {
        Interlocked.Add(ref Counters.AppendsAcknowledged, records);
        Volatile.Write(ref Counters.LastAckTimestamp, Stopwatch.GetTimestamp());
    }
}
