using CsCheck;
using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansAof.Server.Tests.Properties;

/// <summary>
/// Random sequences of appends (single and batch, with and without producer stamps and expected last ids, retries of the
/// last stamp), flushes, seals, flush-policy switches, deactivations and reads through the grain API on a cluster that
/// archives and evicts, checked after every step against a model. CsCheck shrinks a failure to a minimal sequence and
/// prints it with its seed.
/// </summary>
[Collection(ArchivingClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Stress)]
public sealed class PartitionGrainProperties(ArchivingCluster fixture, ITestOutputHelper output)
{
    public abstract record Op;

    /// <summary>One record; <paramref name="Producer"/> -1 means no stamp; <paramref name="Retry"/> resends the producer's last stamp.</summary>
    public sealed record Append(int Size, int Producer, bool Retry, bool ExpectLast) : Op;

    public sealed record Batch(int[] Sizes, int Producer, bool ExpectLast) : Op
    {
        public override string ToString() => $"Batch([{string.Join(",", Sizes)}], {Producer}, {ExpectLast})";
    }

    public sealed record WrongExpectedLast(int Offset) : Op;

    public sealed record Flush : Op;

    public sealed record Seal : Op;

    public sealed record Switch(string Policy) : Op;

    public sealed record Deactivate : Op;

    public sealed record Read(int From, int Max) : Op;

    private static readonly Gen<Op> OpGen = Gen.Frequency(
        (10, Gen.Select(Gen.Int[0, 600], Gen.Int[-1, 2], Gen.Int[0, 4], Gen.Bool, (s, p, r, e) => (Op)new Append(s, p, r == 0, e))),
        (4, Gen.Select(Gen.Int[0, 400].Array[1, 8], Gen.Int[-1, 2], Gen.Bool, (s, p, e) => (Op)new Batch(s, p, e))),
        (1, Gen.Int[1, 5].Select(o => (Op)new WrongExpectedLast(o))),
        (2, Gen.Const((Op)new Flush())),
        (2, Gen.Const((Op)new Seal())),
        (2, Gen.OneOf(Gen.Const("Sync"), Gen.Const("Async"), Gen.Const("Batched"), Gen.Const("Periodic")).Select(p => (Op)new Switch(p))),
        (1, Gen.Const((Op)new Deactivate())),
        (3, Gen.Select(Gen.Int[0, 80], Gen.Int[1, 30], (f, m) => (Op)new Read(f, m))));

    private static byte[] PayloadFor(long id, int size)
    {
        var b = new byte[size];
        for (var i = 0; i < size; i++)
        {
            b[i] = (byte)((id * 31) + (i * 7));
        }

        return b;
    }

    private static LogFlushPolicy Policy(string name) => name switch
    {
        "Async" => LogFlushPolicy.Async,
        "Batched" => LogFlushPolicy.Batched(3),
        "Periodic" => LogFlushPolicy.Periodic(TimeSpan.FromMilliseconds(5)),
        _ => LogFlushPolicy.Sync,
    };

    [Fact]
    public async Task RandomGrainOperationSequences_MatchTheModel()
    {
        await OpGen.Array[1, 30].SampleAsync(
            RunAsync,
            writeLine: output.WriteLine,
            iter: Stress.Scale(50, 500),
            threads: 1,
            print: ops => string.Join(" ", ops.Select(o => o.ToString())));
    }

    private sealed class Model
    {
        public List<byte[]> Records { get; } = [];

        public Dictionary<int, (long Sequence, long First, long Last, byte[][] Payloads)> Producers { get; } = [];

        public LogFlushPolicy Policy { get; set; } = LogFlushPolicy.Sync;

        /// <summary>Whether a call that writes (append, seal, policy switch) reached the partition: reads never create it.</summary>
        public bool Created { get; set; }

        public long LastId => Records.Count - 1;
    }

    private async Task RunAsync(Op[] ops)
    {
        // Owned by the silo the collection never kills: the test cluster deactivates grains only on the silos it started itself.
        var log = $"prop-{Guid.NewGuid():N}";
        var grain = fixture.Partition(log, fixture.PartitionOwnedBy(log, fixture.SiloNames[0]));
        var model = new Model();
        foreach (var op in ops)
        {
            await ApplyAsync(grain, model, op);
            await CheckInfoAsync(grain, model, op);
        }

        await grain.FlushAsync();
        var next = 0L;
        while (next < model.Records.Count)
        {
            var batch = await grain.ReadAsync(next, 50);
            batch.Count.Should().BePositive($"records from {next} are durable after a flush");
            foreach (var r in batch.Records)
            {
                r.Id.Should().Be(next);
                r.Payload.ToArray().Should().Equal(model.Records[(int)next], $"record {next} reads back identical");
                next++;
            }
        }
    }

    private static long? Expected(Model model, bool expectLast) => expectLast ? model.LastId : null;

    private async Task ApplyAsync(IPartitionGrain grain, Model model, Op op)
    {
        model.Created |= op is Append or Batch or WrongExpectedLast or Seal or Switch;
        switch (op)
        {
            case Append a when a.Retry && a.Producer >= 0 && model.Producers.TryGetValue(a.Producer, out var known):
                {
                    // A retry of the producer's last batch, with the same bytes: the original ids, nothing written.
                    var ack = known.Payloads.Length == 1
                        ? await grain.AppendAsync(known.Payloads[0], null, new ProducerStamp(a.Producer + 1, known.Sequence))
                        : await grain.AppendBatchAsync(RecordPayloads.From(known.Payloads), null, new ProducerStamp(a.Producer + 1, known.Sequence));
                    (ack.FirstId, ack.LastId, ack.IsDuplicate).Should().Be((known.First, known.Last, true), $"{op} returns the original ids");
                    break;
                }

            case Append a:
                {
                    var payload = PayloadFor(model.Records.Count, a.Size);
                    var stamp = NextStamp(model, a.Producer);
                    var ack = await grain.AppendAsync(payload, Expected(model, a.ExpectLast), stamp);
                    (ack.FirstId, ack.LastId, ack.IsDuplicate).Should().Be((model.Records.Count, (long)model.Records.Count, false), $"{op} gets the next id");
                    ack.IsDurable.Should().Be(model.Policy.Kind == LogFlushPolicyKind.Sync || ack.IsDurable, "under Sync an append is durable when acknowledged");
                    Record(model, a.Producer, stamp, [payload]);
                    break;
                }

            case Batch b:
                {
                    var first = model.Records.Count;
                    var payloads = b.Sizes.Select((s, i) => PayloadFor(first + i, s)).ToArray();
                    var stamp = NextStamp(model, b.Producer);
                    var ack = await grain.AppendBatchAsync(RecordPayloads.From(payloads), Expected(model, b.ExpectLast), stamp);
                    (ack.FirstId, ack.LastId, ack.IsDuplicate).Should().Be(((long)first, first + payloads.Length - 1L, false), $"{op} gets consecutive ids");
                    Record(model, b.Producer, stamp, payloads);
                    break;
                }

            case WrongExpectedLast w:
                {
                    var wrong = model.LastId + w.Offset;
                    var e = await FluentActions.Awaiting(() => grain.AppendAsync([1, 2, 3], wrong)).Should().ThrowAsync<ExpectedLastIdMismatchException>();
                    e.Which.ActualLastId.Should().Be(model.LastId, "the error says where the partition is, and nothing was written");
                    break;
                }

            case Flush:
                (await grain.FlushAsync()).Should().Be(model.LastId, "a flush makes everything appended durable");
                break;

            case Seal:
                {
                    var before = await grain.GetInfoAsync();
                    var sealedSegment = await grain.SealAsync();
                    if (before.Segments.Count == 0 || before.Segments[^1].RecordCount == 0)
                    {
                        sealedSegment.Should().BeNull("an empty active segment is not sealed");
                    }
                    else
                    {
                        sealedSegment.Should().NotBeNull();
                        sealedSegment!.LastId.Should().Be(model.LastId);
                    }

                    break;
                }

            case Switch s:
                model.Policy = Policy(s.Policy);
                await grain.SetFlushPolicyAsync(model.Policy);
                (await grain.GetInfoAsync()).DurableId.Should().Be(model.LastId, "a policy switch is a flush boundary");
                break;

            case Deactivate:
                await fixture.Cluster.DeactivateAsync(grain);
                model.Policy = LogFlushPolicy.Sync;
                var info = await grain.GetInfoAsync();
                (info.LastId, info.DurableId).Should().Be((model.LastId, model.LastId), "a deactivation flushes and the next activation recovers every record");
                break;

            case Read r:
                await CheckReadAsync(grain, model, r);
                break;
        }
    }

    private static ProducerStamp? NextStamp(Model model, int producer) =>
        producer < 0 ? null : new ProducerStamp(producer + 1, model.Producers.TryGetValue(producer, out var known) ? known.Sequence + 1 : 0);

    private static void Record(Model model, int producer, ProducerStamp? stamp, byte[][] payloads)
    {
        var first = model.Records.Count;
        model.Records.AddRange(payloads);
        if (stamp is { } s)
        {
            model.Producers[producer] = (s.Sequence, first, first + payloads.Length - 1, payloads);
        }
    }

    private static async Task CheckReadAsync(IPartitionGrain grain, Model model, Read r)
    {
        if (r.From > model.Records.Count)
        {
            await FluentActions.Awaiting(() => grain.ReadAsync(r.From, r.Max, includeUndurable: true)).Should().ThrowAsync<ReadBeyondTailException>();
            return;
        }

        var batch = await grain.ReadAsync(r.From, r.Max, includeUndurable: true);
        var expected = Math.Min(r.Max, model.Records.Count - r.From);
        batch.Count.Should().Be(expected, $"{r} with {model.Records.Count} records");
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Id.Should().Be(r.From + i);
            batch[i].Payload.ToArray().Should().Equal(model.Records[r.From + i]);
        }
    }

    private static readonly HashSet<string> SealedStatuses = new(["Sealed", "Archiving", "Archived", "LocalEvicted"], StringComparer.Ordinal);

    private static async Task CheckInfoAsync(IPartitionGrain grain, Model model, Op after)
    {
        var info = await grain.GetInfoAsync();
        var because = $"after {after}";
        if (!model.Created)
        {
            (info.State, info.LastId, info.DurableId, info.Segments.Count).Should().Be((PartitionGrain.NeverCreatedState, -1L, -1L, 0), $"nothing wrote to the partition yet ({because})");
            return;
        }

        (info.FirstId, info.LastId).Should().Be((0L, model.LastId), because);
        info.DurableId.Should().BeLessThanOrEqualTo(info.LastId, because);
        if (model.Policy.Kind == LogFlushPolicyKind.Sync)
        {
            info.DurableId.Should().Be(model.LastId, $"under Sync every acknowledged record is durable ({because})");
        }

        info.FlushPolicy.Should().Be(model.Policy, because);
        info.Segments.Should().NotBeEmpty(because);
        info.Segments[0].BaseId.Should().Be(0, because);
        info.Segments[^1].Status.Should().Be("Active", because);
        info.Segments[^1].LastId.Should().Be(model.LastId, because);
        for (var i = 0; i < info.Segments.Count; i++)
        {
            var s = info.Segments[i];
            s.RecordCount.Should().Be(s.LastId - s.BaseId + 1, $"segment {s.BaseId} {because}");
            if (i < info.Segments.Count - 1)
            {
                SealedStatuses.Should().Contain(s.Status, $"segment {s.BaseId} is sealed {because}");
                info.Segments[i + 1].BaseId.Should().Be(s.LastId + 1, $"segments are contiguous {because}");
            }
        }
    }
}
