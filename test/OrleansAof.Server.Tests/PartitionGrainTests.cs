using System.Text;
using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

[Collection(ThreeSiloClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class PartitionGrainTests(ThreeSiloCluster fixture)
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static string Text(LogRecord r) => Encoding.UTF8.GetString(r.Payload.Span);

    private static string NewLog(string prefix = "log") => $"{prefix}-{Guid.NewGuid():N}";

    [Fact]
    public async Task Append_then_read_returns_dense_ids_and_identical_bytes()
    {
        var grain = fixture.Partition(NewLog());
        for (var i = 0; i < 5; i++)
        {
            var ack = await grain.AppendAsync(Bytes($"r{i}"));
            ack.Should().Be(new AppendAck(i, i, IsDurable: true, IsDuplicate: false));
        }

        var batch = await grain.AppendBatchAsync(RecordPayloads.From(Bytes("b0"), Bytes(""), Bytes("b2")));
        batch.Should().Be(new AppendAck(5, 7, true, false));

        var read = await grain.ReadAsync(0);
        read.Records.Select(r => (r.Id, Text(r))).Should().Equal((0L, "r0"), (1L, "r1"), (2L, "r2"), (3L, "r3"), (4L, "r4"), (5L, "b0"), (6L, ""), (7L, "b2"));
        read.NextId.Should().Be(8);
        (await grain.ReadAsync(8)).Count.Should().Be(0);

        var back = await grain.ReadBackwardAsync(7, maxRecords: 3);
        back.Records.Select(r => r.Id).Should().Equal(7, 6, 5);
        back.NextId.Should().Be(4);
    }

    [Fact]
    public async Task Sixteen_concurrent_producers_get_dense_ids_and_keep_their_order()
    {
        const int producers = 16;
        const int each = 100;
        var grain = fixture.Partition(NewLog());
        var acks = new List<(int Producer, int Seq, long Id)>[producers];
        await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            acks[p] = [];
            for (var s = 0; s < each; s++)
            {
                var ack = await grain.AppendAsync(Bytes($"{p}:{s}"));
                ack.IsDurable.Should().BeTrue();
                acks[p].Add((p, s, ack.FirstId));
            }
        })));

        var all = acks.SelectMany(a => a).ToList();
        all.Select(a => a.Id).Order().Should().Equal(Enumerable.Range(0, producers * each).Select(i => (long)i), "ids are dense and unique");
        foreach (var mine in acks)
        {
            mine.Select(a => a.Id).Should().BeInAscendingOrder("one producer's records keep its order");
        }

        var records = new List<LogRecord>();
        var next = 0L;
        while (records.Count < producers * each)
        {
            var batch = await grain.ReadAsync(next, 500);
            records.AddRange(batch.Records);
            next = batch.NextId;
        }

        var byId = all.ToDictionary(a => a.Id);
        foreach (var r in records)
        {
            Text(r).Should().Be($"{byId[r.Id].Producer}:{byId[r.Id].Seq}");
        }

        var stats = await grain.GetFlushStatisticsAsync();
        stats.RecordsFlushed.Should().Be(producers * each);
        stats.RecordsPerFlush.Should().BeGreaterThan(1, "concurrent appends share group commits through the reentrant grain");
    }

    [Fact]
    public async Task ExpectedLastId_mismatch_fails_with_the_actual_last_id_and_writes_nothing()
    {
        var grain = fixture.Partition(NewLog());
        (await grain.AppendAsync(Bytes("a"), expectedLastId: -1)).FirstId.Should().Be(0);
        (await grain.AppendAsync(Bytes("b"), expectedLastId: 0)).FirstId.Should().Be(1);

        var act = () => grain.AppendAsync(Bytes("c"), expectedLastId: 0);
        var error = (await act.Should().ThrowAsync<ExpectedLastIdMismatchException>()).Which;
        error.ExpectedLastId.Should().Be(0);
        error.ActualLastId.Should().Be(1);

        var batchAct = () => grain.AppendBatchAsync(RecordPayloads.From(Bytes("x"), Bytes("y")), expectedLastId: 5);
        (await batchAct.Should().ThrowAsync<ExpectedLastIdMismatchException>()).Which.ActualLastId.Should().Be(1);
        (await grain.GetInfoAsync()).LastId.Should().Be(1);
    }

    [Fact]
    public async Task Bad_input_gets_typed_errors_and_changes_nothing()
    {
        var grain = fixture.Partition(NewLog());
        await grain.AppendAsync(Bytes("only"));

        var tooLarge = (await FluentActions.Awaiting(() => grain.AppendAsync(new byte[256 * 1024 + 1])).Should().ThrowAsync<RecordTooLargeException>()).Which;
        tooLarge.Size.Should().Be(256 * 1024 + 1);
        tooLarge.Maximum.Should().Be(256 * 1024);
        tooLarge.Message.Should().Contain("AppendLogOptions.MaxRecordBytes");

        await FluentActions.Awaiting(() => grain.AppendBatchAsync(new RecordPayloads([], []))).Should().ThrowAsync<EmptyBatchException>();
        var big = Enumerable.Range(0, 5).Select(_ => new byte[250 * 1024]).ToArray();
        (await FluentActions.Awaiting(() => grain.AppendBatchAsync(RecordPayloads.From(big))).Should().ThrowAsync<BatchTooLargeException>()).Which.Records.Should().Be(5);
        await FluentActions.Awaiting(() => grain.ReadAsync(-1)).Should().ThrowAsync<InvalidRangeException>();
        await FluentActions.Awaiting(() => grain.ReadAsync(0, maxRecords: 0)).Should().ThrowAsync<InvalidRangeException>();
        var beyond = (await FluentActions.Awaiting(() => grain.ReadAsync(5)).Should().ThrowAsync<ReadBeyondTailException>()).Which;
        (beyond.FromId, beyond.NextId).Should().Be((5L, 1L));
        var policy = (await FluentActions.Awaiting(() => grain.SetFlushPolicyAsync(LogFlushPolicy.Batched(0))).Should().ThrowAsync<InvalidLogOptionsException>()).Which;
        policy.Message.Should().Contain("LogFlushPolicy");

        var info = await grain.GetInfoAsync();
        (info.LastId, info.DurableId, info.State).Should().Be((0L, 0L, "Open"));
    }

    [Theory]
    [InlineData("bad name/0")]
    [InlineData("../etc/0")]
    [InlineData("orders/..")]
    [InlineData("no-slash")]
    [InlineData("orders/a\\b")]
    public async Task Invalid_partition_names_are_refused_before_anything_touches_the_disk(string key)
    {
        var grain = fixture.Client.GetGrain<IPartitionGrain>(key);
        await FluentActions.Awaiting(() => grain.AppendAsync(Bytes("x"))).Should().ThrowAsync<InvalidPartitionNameException>();
        Directory.EnumerateFileSystemEntries(fixture.Data.Path, "*", SearchOption.AllDirectories)
            .Should().NotContain(p => p.Contains("etc", StringComparison.Ordinal) || p.Contains("bad name", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deactivate_and_reactivate_recovers_every_record_with_a_new_epoch()
    {
        var grain = fixture.Partition(NewLog());
        await grain.AppendBatchAsync(RecordPayloads.From(Bytes("a"), Bytes("b"), Bytes("c")));
        var before = await grain.GetInfoAsync();

        await fixture.Cluster.DeactivateAsync(grain);
        var after = await grain.GetInfoAsync();

        after.WriterEpoch.Should().BeGreaterThan(before.WriterEpoch);
        after.Silo.Should().Be(before.Silo, "a partition reactivates on its owner");
        (after.LastId, after.DurableId).Should().Be((2L, 2L));
        (await grain.ReadAsync(0)).Records.Select(Text).Should().Equal("a", "b", "c");
        (await grain.AppendAsync(Bytes("d"))).FirstId.Should().Be(3);
    }

    [Fact]
    public async Task A_second_writer_on_the_owner_disk_is_refused_with_a_typed_error_until_it_closes()
    {
        var log = NewLog();
        var owner = fixture.OwnerOf(log, "0");
        var other = await Storage.PartitionLog.OpenAsync(log, "0", new Storage.PartitionLogOptions { DataRoot = Path.Combine(fixture.Data.Path, owner), Preallocation = Storage.PreallocationMode.None });
        await using (other)
        {
            await other.AppendAsync(Bytes("by the other writer"));
            var grain = fixture.Partition(log);
            await FluentActions.Awaiting(() => grain.AppendAsync(Bytes("refused"))).Should().ThrowAsync<PartitionLockedException>();
        }

        var reopened = fixture.Partition(log);
        (await reopened.AppendAsync(Bytes("after"))).FirstId.Should().Be(1);
        (await reopened.ReadAsync(0)).Records.Select(Text).Should().Equal("by the other writer", "after");
    }

    [Fact]
    public async Task Each_partition_activates_on_its_owner_silo()
    {
        var log = NewLog();
        var seen = new HashSet<string>();
        for (var p = 0; p < 12; p++)
        {
            var grain = fixture.Partition(log, p.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await grain.AppendAsync(Bytes("x"));
            var info = await grain.GetInfoAsync();
            info.Silo.Should().Be(fixture.OwnerOf(log, info.Partition));
            seen.Add(info.Silo);
            Directory.Exists(Path.Combine(fixture.Data.Path, info.Silo, log, info.Partition)).Should().BeTrue("the partition lives in its owner's data folder");
        }

        seen.Should().HaveCountGreaterThan(1, "rendezvous hashing spreads partitions over silos");
    }

    [Fact]
    public async Task Flush_seal_policy_switch_and_timestamp_reads_work_through_the_grain()
    {
        var grain = fixture.Partition(NewLog());
        await grain.SetFlushPolicyAsync(LogFlushPolicy.Async);
        var ack = await grain.AppendAsync(Bytes("async"));
        ack.IsDurable.Should().BeFalse();
        (await grain.ReadAsync(0)).Count.Should().Be(0, "readers see durable records only");
        (await grain.ReadAsync(0, includeUndurable: true)).Count.Should().Be(1);
        (await grain.FlushAsync()).Should().Be(0);
        (await grain.ReadAsync(0)).Count.Should().Be(1);

        var sealedSegment = await grain.SealAsync();
        sealedSegment!.Status.Should().Be("Sealed");
        (sealedSegment.BaseId, sealedSegment.LastId).Should().Be((0L, 0L));
        await grain.SetFlushPolicyAsync(LogFlushPolicy.Sync);
        var t = DateTimeOffset.UtcNow;
        (await grain.AppendAsync(Bytes("sync"))).IsDurable.Should().BeTrue();
        (await grain.FindIdAtTimestampAsync(t.AddMinutes(-1))).Should().Be(0);
        (await grain.ReadFromTimestampAsync(t.AddSeconds(-0.5))).Records.Select(r => r.Id).Should().Contain(1);
        var info = await grain.GetInfoAsync();
        info.Segments.Select(s => s.Status).Should().Equal("Sealed", "Active");
        info.FlushPolicy.Should().Be(LogFlushPolicy.Sync);
    }
}
