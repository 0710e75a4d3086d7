using CsCheck;
using FluentAssertions;
using OrleansAof.Storage.Tests.Engine;
using OrleansAof.TestInfrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansAof.Storage.Tests.Properties;

/// <summary>
/// Random sequences of append / batch / idempotent retry / flush / seal / reopen / read / policy switch, checked after
/// every step against an in-memory model. CsCheck shrinks a failure to a minimal sequence and prints it with its seed.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Stress)]
public class LogModelProperties(ITestOutputHelper output) : LogTestBase
{
    public abstract record Op;

    public sealed record Append(int Size) : Op;

    public sealed record Batch(int[] Sizes) : Op
    {
        public override string ToString() => $"Batch([{string.Join(",", Sizes)}])";
    }

    public sealed record Stamped(int Producer, bool Retry, int Size) : Op;

    public sealed record Flush : Op;

    public sealed record Seal : Op;

    public sealed record Reopen : Op;

    public sealed record Read(int From, int Max, int MaxBytes) : Op;

    public sealed record ReadBack(int From, int Max) : Op;

    public sealed record Switch(string Policy) : Op;

    private static readonly Gen<Op> OpGen = Gen.Frequency(
        (10, Gen.Int[0, 300].Select(s => (Op)new Append(s))),
        (3, Gen.Int[0, 200].Array[1, 6].Select(s => (Op)new Batch(s))),
        (3, Gen.Select(Gen.Int[0, 2], Gen.Bool, Gen.Int[0, 100], (p, r, s) => (Op)new Stamped(p, r, s))),
        (2, Gen.Const((Op)new Flush())),
        (2, Gen.Const((Op)new Seal())),
        (2, Gen.Const((Op)new Reopen())),
        (4, Gen.Select(Gen.Int[0, 60], Gen.Int[1, 20], Gen.Int[1, 2000], (f, m, b) => (Op)new Read(f, m, b))),
        (2, Gen.Select(Gen.Int[0, 60], Gen.Int[1, 20], (f, m) => (Op)new ReadBack(f, m))),
        (2, Gen.OneOf(Gen.Const("Sync"), Gen.Const("Async"), Gen.Const("Batched:3")).Select(p => (Op)new Switch(p))));

    private static byte[] PayloadFor(long id, int size)
    {
        var b = new byte[size];
        for (var i = 0; i < size; i++)
        {
            b[i] = (byte)((id * 7) + i);
        }

        return b;
    }

    [Fact]
    public async Task RandomOperationSequences_MatchTheModel()
    {
        var iterations = Stress.Scale(40, 400);
        await OpGen.Array[1, 40].SampleAsync(
            async ops =>
            {
                using var temp = new TempDirectory("prop");
                await RunAsync(temp.Path, ops);
            },
            writeLine: output.WriteLine,
            iter: iterations,
            threads: 1,
            print: ops => string.Join(" ", ops.Select(o => o.ToString())));
    }

    private static async Task RunAsync(string root, Op[] ops)
    {
        var options = new PartitionLogOptions
        {
            DataRoot = root,
            MaxSegmentBytes = 4096,
            MaxRecordBytes = 1024,
            Preallocation = PreallocationMode.None,
            FlushPolicy = FlushPolicy.Sync,
        };
        var model = new List<byte[]>();
        var producers = new Dictionary<int, (long Seq, long First, long Last)>();
        var log = await PartitionLog.OpenAsync("p", "0", options);
        try
        {
            foreach (var op in ops)
            {
                switch (op)
                {
                    case Append a:
                        var p = PayloadFor(model.Count, a.Size);
                        (await log.AppendAsync(p)).FirstId.Should().Be(model.Count);
                        model.Add(p);
                        break;
                    case Batch b:
                        var first = model.Count;
                        var payloads = b.Sizes.Select((s, i) => PayloadFor(first + i, s)).ToArray();
                        var r = await log.AppendBatchAsync(payloads.Select(x => (ReadOnlyMemory<byte>)x).ToList());
                        (r.FirstId, r.LastId).Should().Be((first, first + payloads.Length - 1L));
                        model.AddRange(payloads);
                        break;
                    case Stamped s:
                        var known = producers.TryGetValue(s.Producer, out var k) ? k : (Seq: -1L, First: -1L, Last: -1L);
                        if (s.Retry && known.Seq >= 0)
                        {
                            var dup = await log.AppendAsync(new byte[s.Size], null, new ProducerStamp(s.Producer, known.Seq));
                            (dup.FirstId, dup.LastId, dup.IsDuplicate).Should().Be((known.First, known.Last, true));
                        }
                        else
                        {
                            var sp = PayloadFor(model.Count, s.Size);
                            var sr = await log.AppendAsync(sp, null, new ProducerStamp(s.Producer, known.Seq + 1));
                            (sr.FirstId, sr.IsDuplicate).Should().Be((model.Count, false));
                            producers[s.Producer] = (known.Seq + 1, model.Count, model.Count);
                            model.Add(sp);
                        }

                        break;
                    case Flush:
                        (await log.FlushAsync()).Should().Be(model.Count - 1);
                        break;
                    case Seal:
                        await log.SealAsync();
                        log.DurableId.Should().Be(model.Count - 1);
                        break;
                    case Reopen:
                        options.FlushPolicy = log.FlushPolicy;
                        await log.DisposeAsync();
                        log = await PartitionLog.OpenAsync("p", "0", options);
                        log.NextId.Should().Be(model.Count);
                        log.DurableId.Should().Be(model.Count - 1);
                        break;
                    case Read rd:
                        await CheckReadAsync(log, model, rd);
                        break;
                    case ReadBack rb:
                        await CheckReadBackAsync(log, model, rb);
                        break;
                    case Switch sw:
                        await log.SetFlushPolicyAsync(FlushPolicy.Parse(sw.Policy));
                        log.DurableId.Should().Be(model.Count - 1);
                        break;
                }

                CheckCatalog(log, model.Count);
            }

            await log.FlushAsync();
            var all = await ReadAllAsync(log);
            all.Select(x => x.Payload.ToArray()).Should().BeEquivalentTo(model, o => o.WithStrictOrdering());
        }
        finally
        {
            await log.DisposeAsync();
        }
    }

    private static async Task CheckReadAsync(PartitionLog log, List<byte[]> model, Read rd)
    {
        if (rd.From > model.Count)
        {
            await log.Invoking(l => l.ReadAsync(rd.From).AsTask()).Should().ThrowAsync<ReadBeyondTailException>();
            return;
        }

        var batch = await log.ReadAsync(rd.From, rd.Max, rd.MaxBytes, includeUndurable: true);
        var expectedCount = 0;
        long bytes = 0;
        for (var id = rd.From; id < model.Count && expectedCount < rd.Max; id++)
        {
            if (expectedCount > 0 && bytes + model[id].Length > rd.MaxBytes)
            {
                break;
            }

            bytes += model[id].Length;
            expectedCount++;
        }

        batch.Count.Should().Be(expectedCount);
        batch.NextId.Should().Be(rd.From + expectedCount);
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Id.Should().Be(rd.From + i);
            batch[i].Payload.ToArray().Should().Equal(model[rd.From + i]);
        }
    }

    private static async Task CheckReadBackAsync(PartitionLog log, List<byte[]> model, ReadBack rb)
    {
        if (rb.From > model.Count)
        {
            return;
        }

        var batch = await log.ReadBackwardAsync(rb.From, rb.Max, includeUndurable: true);
        var top = Math.Min(rb.From, model.Count - 1);
        var expected = Enumerable.Range(0, Math.Min(rb.Max, top + 1)).Select(i => (long)(top - i)).ToList();
        batch.Entries.Select(e => e.Id).Should().Equal(expected);
        foreach (var e in batch.Records)
        {
            e.Payload.ToArray().Should().Equal(model[(int)e.Id]);
        }
    }

    private static void CheckCatalog(PartitionLog log, int count)
    {
        var info = log.GetInfo();
        info.NextId.Should().Be(count);
        info.Segments[^1].Status.Should().Be(SegmentStatus.Active);
        info.Segments.Take(info.Segments.Count - 1).Count(s => s.Status != SegmentStatus.Sealed).Should().Be(0, "every segment but the last is sealed");
        for (var i = 1; i < info.Segments.Count; i++)
        {
            info.Segments[i].BaseId.Should().Be(info.Segments[i - 1].LastId + 1, "segments are contiguous");
        }

        info.Segments.Sum(s => s.RecordCount).Should().Be(count);
        info.Segments[0].BaseId.Should().Be(0);
    }
}
