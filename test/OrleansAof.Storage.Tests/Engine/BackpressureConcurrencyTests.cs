using System.Buffers.Binary;
using FluentAssertions;
using OrleansAof.Storage.Format;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

/// <summary>
/// Many appenders against a tiny unflushed-bytes bound, under policies whose own triggers never make room in time (a
/// large batch, a long interval): only the flushes that backpressure starts do. Every appender must finish (a watchdog
/// names the stuck ones), ids are dense, each appender's order is kept and every payload reads back exactly.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class BackpressureConcurrencyTests : LogTestBase
{
    private const int Appenders = 32;
    private const int MaxRecordBytes = 256;
    private static readonly TimeSpan Watchdog = TimeSpan.FromSeconds(60);

    internal static byte[] Tagged(int appender, int sequence)
    {
        var bytes = new byte[8 + ((appender + sequence) % (MaxRecordBytes - 8))];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, appender);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), sequence);
        for (var i = 8; i < bytes.Length; i++)
        {
            bytes[i] = (byte)((appender * 7) + (sequence * 13) + i);
        }

        return bytes;
    }

    private static FlushPolicy Policy(string name) => name switch
    {
        "Batched" => FlushPolicy.Batched(1_000_000),
        "Periodic" => FlushPolicy.Periodic(TimeSpan.FromHours(1)),
        "BatchedOrPeriodic" => FlushPolicy.BatchedOrPeriodic(1_000_000, TimeSpan.FromHours(1)),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown policy"),
    };

    private Task<PartitionLog> OpenTinyBoundAsync(string policy, BackpressureMode mode) => OpenAsync(Options(o =>
    {
        o.FlushPolicy = Policy(policy);
        o.MaxSegmentBytes = 64 * 1024;
        o.MaxRecordBytes = MaxRecordBytes;

        // Room for two of the largest records: most of the 32 appenders are blocked (or refused) at any moment.
        o.MaxUnflushedBytes = 2 * SegmentFormat.RecordFrameSize(MaxRecordBytes);
        o.BackpressureMode = mode;
        o.FlushOnCallerThread = false;
    }));

    [Theory]
    [InlineData("Batched")]
    [InlineData("Periodic")]
    [InlineData("BatchedOrPeriodic")]
    public async Task WaitMode_ManyAppendersBlockedOnATinyBound_AllCompleteIdsDenseEveryPayloadExact(string policy)
    {
        var perAppender = Stress.Scale(40, 1000);
        await using var log = await OpenTinyBoundAsync(policy, BackpressureMode.Wait);

        var progress = new int[Appenders];
        var acks = await RunAppendersAsync(log, perAppender, progress, async (appender, sequence) => (await log.AppendAsync(Tagged(appender, sequence))).FirstId);

        await AssertDenseOrderedAndExactAsync(log, acks, perAppender);
        var m = log.GetFlushMetrics();
        (m.BatchedFlushes, m.PeriodicFlushes).Should().Be((0L, 0L), "the policy's own triggers never fired");
        // At most two of the largest frames (and so at most two records of any size up to the bound) fit between flushes.
        var frames = acks.SelectMany(a => a).Sum(x => (long)SegmentFormat.RecordFrameSize(Tagged(x.Appender, x.Sequence).Length));
        m.ForcedFlushes.Should().BeGreaterThanOrEqualTo((frames / (2L * SegmentFormat.RecordFrameSize(MaxRecordBytes))) - 1, "every flush covered at most MaxUnflushedBytes of frames");
    }

    [Theory]
    [InlineData("Batched")]
    [InlineData("Periodic")]
    public async Task FailFastMode_ManyAppendersRetryingRefusals_AllEventuallySucceed(string policy)
    {
        var perAppender = Stress.Scale(40, 1000);
        await using var log = await OpenTinyBoundAsync(policy, BackpressureMode.FailFast);

        var progress = new int[Appenders];
        var refusals = 0;
        var acks = await RunAppendersAsync(log, perAppender, progress, async (appender, sequence) =>
        {
            while (true)
            {
                try
                {
                    return (await log.AppendAsync(Tagged(appender, sequence))).FirstId;
                }
                catch (LogBackpressureException e) when (e.IsRetryable && e.Reason == BackpressureReason.UnflushedBytes)
                {
                    Interlocked.Increment(ref refusals);

                    // The client's retry policy: back off for the time the refusal suggests.
                    await Task.Delay(e.RetryAfter);
                }
            }
        });

        await AssertDenseOrderedAndExactAsync(log, acks, perAppender);
        refusals.Should().BePositive("32 appenders against room for two records are refused");
        log.GetFlushMetrics().ForcedFlushes.Should().BePositive();
    }

    /// <summary>Runs the appenders; on timeout fails naming every appender that did not finish and how far it got.</summary>
    private static async Task<List<(int Appender, int Sequence, long Id)>[]> RunAppendersAsync(
        PartitionLog log, int perAppender, int[] progress, Func<int, int, Task<long>> append)
    {
        var acks = new List<(int Appender, int Sequence, long Id)>[Appenders];
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, Appenders).Select(a => Task.Run(async () =>
        {
            acks[a] = [];
            start.Wait();
            for (var s = 0; s < perAppender; s++)
            {
                acks[a].Add((a, s, await append(a, s)));
                Volatile.Write(ref progress[a], s + 1);
            }
        })).ToArray();
        start.Set();
        try
        {
            await Wait.ForAsync(Task.WhenAll(tasks), $"{Appenders} appenders of {perAppender} records each to finish", Watchdog);
        }
        catch (TimeoutException e)
        {
            var stuck = Enumerable.Range(0, Appenders)
                .Where(a => !tasks[a].IsCompleted)
                .Select(a => $"appender {a} after {Volatile.Read(ref progress[a])}/{perAppender}");
            throw new TimeoutException($"{e.Message} Stuck: {string.Join(", ", stuck)}. Partition: next id {log.NextId}, durable id {log.DurableId}, state {log.State}.", e);
        }

        return acks;
    }

    private static async Task AssertDenseOrderedAndExactAsync(PartitionLog log, List<(int Appender, int Sequence, long Id)>[] acks, int perAppender)
    {
        var total = Appenders * perAppender;
        acks.SelectMany(a => a.Select(x => x.Id)).Order().Should().Equal(Enumerable.Range(0, total).Select(i => (long)i), "ids are dense and never reused");
        foreach (var a in acks)
        {
            a.Select(x => x.Id).Should().BeInAscendingOrder("each appender's order is kept");
        }

        (await log.FlushAsync()).Should().Be(total - 1);
        var records = await ReadAllAsync(log);
        records.Select(r => r.Id).Should().Equal(Enumerable.Range(0, total).Select(i => (long)i));
        foreach (var ack in acks.SelectMany(x => x))
        {
            records[(int)ack.Id].Payload.ToArray().Should().Equal(Tagged(ack.Appender, ack.Sequence), $"record {ack.Id} is appender {ack.Appender}'s record {ack.Sequence}");
        }
    }
}
