using System.Text;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using OrleansAof.Client;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests.BadInput;

/// <summary>
/// The bad-input table of the client API and the grain API (part of the suite described in docs/test-plan.md, "Bad
/// input"; the aof tool and the silo-host settings have their own tables). Every case must end in its typed error with a
/// message under 1 KB and no raw control character, leave every file under the cluster's data folders as it was, and
/// leave the partition serving: its records unchanged and the next append taking the next id.
/// </summary>
[Collection(ThreeSiloClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class ApiBadInputTests(ThreeSiloCluster fixture)
{
    /// <summary>The cluster's AppendLogOptions.MaxRecordBytes (AofClusterFixture).</summary>
    private const int MaxRecordBytes = 256 * 1024;

    private const string Hostile = "evil\r\n[ERROR] forged log line\u001b[31m\u0000";

    /// <summary>A bad input: what it calls (on a partition holding records 0..2) and the error it must raise.</summary>
    public sealed record BadCase(string Name, Type Error, Func<Context, Task> Act)
    {
        public override string ToString() => Name;
    }

    /// <summary>What a case acts on: a log with partition "0" holding three records.</summary>
    public sealed record Context(AppendLogHandle Log, IPartitionGrain Grain, IClusterClient Client);

    private static BadCase C<TError>(string name, Func<Context, Task> act)
        where TError : Exception => new(name, typeof(TError), act);

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    public static readonly BadCase[] Cases =
    [
        // Records.
        C<RecordTooLargeException>("append: payload one byte over MaxRecordBytes", c => c.Log.AppendToPartitionAsync("0", new byte[MaxRecordBytes + 1])),
        C<RecordTooLargeException>("append batch: one record over MaxRecordBytes among good ones", c => c.Log.AppendBatchAsync("0", RecordPayloads.From(Bytes("ok"), new byte[MaxRecordBytes + 1], Bytes("ok")))),
        C<EmptyBatchException>("append batch: no record", c => c.Log.AppendBatchAsync("0", new RecordPayloads([], []))),
        C<RecordTooLargeException>("producer: record over LogProducerOptions.MaxRecordBytes", async c =>
        {
            await using var producer = c.Log.CreateProducer(new LogProducerOptions { MaxRecordBytes = 10 });
            await producer.SendToPartitionAsync("0", new byte[11]);
        }),

        // Expected last id.
        C<InvalidRangeException>("append: expectedLastId long.MinValue", c => c.Log.AppendToPartitionAsync("0", Bytes("x"), expectedLastId: long.MinValue)),
        C<InvalidRangeException>("append: expectedLastId -2", c => c.Log.AppendToPartitionAsync("0", Bytes("x"), expectedLastId: -2)),
        C<InvalidRangeException>("append batch: expectedLastId long.MinValue", c => c.Log.AppendBatchAsync("0", RecordPayloads.From(Bytes("x")), expectedLastId: long.MinValue)),
        C<ExpectedLastIdMismatchException>("append: expectedLastId -1 on a partition with records", c => c.Log.AppendToPartitionAsync("0", Bytes("x"), expectedLastId: -1)),
        C<ExpectedLastIdMismatchException>("append: expectedLastId one below the last id", c => c.Log.AppendToPartitionAsync("0", Bytes("x"), expectedLastId: 1)),
        C<ExpectedLastIdMismatchException>("append: expectedLastId long.MaxValue", c => c.Log.AppendToPartitionAsync("0", Bytes("x"), expectedLastId: long.MaxValue)),

        // Producer stamps.
        C<InvalidProducerStampException>("append: producer id 0", c => c.Log.AppendToPartitionAsync("0", Bytes("x"), stamp: new ProducerStamp(0, 0))),
        C<InvalidProducerStampException>("append: negative producer id", c => c.Log.AppendToPartitionAsync("0", Bytes("x"), stamp: new ProducerStamp(-5, 0))),
        C<InvalidProducerStampException>("append: producer id long.MinValue", c => c.Log.AppendToPartitionAsync("0", Bytes("x"), stamp: new ProducerStamp(long.MinValue, 0))),
        C<InvalidProducerStampException>("append: negative sequence", c => c.Log.AppendToPartitionAsync("0", Bytes("x"), stamp: new ProducerStamp(5, -1))),
        C<InvalidProducerStampException>("append batch: sequence long.MinValue", c => c.Log.AppendBatchAsync("0", RecordPayloads.From(Bytes("x")), stamp: new ProducerStamp(5, long.MinValue))),
        C<InvalidLogOptionsException>("producer: ProducerId 0", c => Task.FromResult(c.Log.CreateProducer(new LogProducerOptions { ProducerId = 0 }))),
        C<InvalidLogOptionsException>("producer: negative ProducerId", c => Task.FromResult(c.Log.CreateProducer(new LogProducerOptions { ProducerId = -1 }))),
        C<InvalidLogOptionsException>("producer: MaxBatchBytes 0", c => Task.FromResult(c.Log.CreateProducer(new LogProducerOptions { MaxBatchBytes = 0 }))),
        C<InvalidLogOptionsException>("producer: negative Linger", c => Task.FromResult(c.Log.CreateProducer(new LogProducerOptions { Linger = TimeSpan.FromMilliseconds(-1) }))),
        C<InvalidLogOptionsException>("producer: negative MaxRecordBytes", c => Task.FromResult(c.Log.CreateProducer(new LogProducerOptions { MaxRecordBytes = -1 }))),

        // Reads.
        C<InvalidRangeException>("read: fromId -1", c => c.Log.ReadAsync("0", -1)),
        C<InvalidRangeException>("read: fromId long.MinValue", c => c.Log.ReadAsync("0", long.MinValue)),
        C<ReadBeyondTailException>("read: fromId two past the next id", c => c.Log.ReadAsync("0", 5)),
        C<ReadBeyondTailException>("read: fromId long.MaxValue", c => c.Log.ReadAsync("0", long.MaxValue)),
        C<InvalidRangeException>("read: maxRecords 0", c => c.Log.ReadAsync("0", 0, maxRecords: 0)),
        C<InvalidRangeException>("read: maxRecords -1", c => c.Log.ReadAsync("0", 0, maxRecords: -1)),
        C<InvalidRangeException>("read: maxBytes 0", c => c.Log.ReadAsync("0", 0, maxBytes: 0)),
        C<InvalidRangeException>("read: maxBytes long.MinValue", c => c.Log.ReadAsync("0", 0, maxBytes: long.MinValue)),
        C<InvalidRangeException>("read backward: fromId -1", c => c.Grain.ReadBackwardAsync(-1)),
        C<InvalidRangeException>("read backward: maxRecords 0", c => c.Grain.ReadBackwardAsync(2, maxRecords: 0)),
        C<InvalidRangeException>("read from timestamp: maxRecords 0", c => c.Grain.ReadFromTimestampAsync(DateTimeOffset.UnixEpoch, maxRecords: 0)),
        C<InvalidRangeException>("read from timestamp: maxBytes -1", c => c.Grain.ReadFromTimestampAsync(DateTimeOffset.UnixEpoch, maxBytes: -1)),

        // Flush policies.
        C<InvalidLogOptionsException>("set flush policy: Batched(0)", c => c.Grain.SetFlushPolicyAsync(LogFlushPolicy.Batched(0))),
        C<InvalidLogOptionsException>("set flush policy: Batched(-1)", c => c.Grain.SetFlushPolicyAsync(LogFlushPolicy.Batched(-1))),
        C<InvalidLogOptionsException>("set flush policy: Periodic(0)", c => c.Grain.SetFlushPolicyAsync(LogFlushPolicy.Periodic(TimeSpan.Zero))),
        C<InvalidLogOptionsException>("set flush policy: Periodic(-1 s)", c => c.Grain.SetFlushPolicyAsync(LogFlushPolicy.Periodic(TimeSpan.FromSeconds(-1)))),
        C<InvalidLogOptionsException>("set flush policy: BatchedOrPeriodic(0, 1 s)", c => c.Grain.SetFlushPolicyAsync(LogFlushPolicy.BatchedOrPeriodic(0, TimeSpan.FromSeconds(1)))),

        // Names: the message names them cut to 128 characters with control characters escaped.
        C<InvalidPartitionNameException>("log name: empty", c => Task.FromResult(Logs(c).GetLog(""))),
        C<InvalidPartitionNameException>("log name: '..'", c => Task.FromResult(Logs(c).GetLog(".."))),
        C<InvalidPartitionNameException>("log name: '.'", c => Task.FromResult(Logs(c).GetLog("."))),
        C<InvalidPartitionNameException>("log name: with a slash", c => Task.FromResult(Logs(c).GetLog("a/b"))),
        C<InvalidPartitionNameException>("log name: path escape", c => Task.FromResult(Logs(c).GetLog("../../etc"))),
        C<InvalidPartitionNameException>("log name: 129 characters", c => Task.FromResult(Logs(c).GetLog(new string('a', 129)))),
        C<InvalidPartitionNameException>("log name: 10,000 characters", c => Task.FromResult(Logs(c).GetLog(new string('a', 10_000)))),
        C<InvalidPartitionNameException>("log name: control characters and a forged log line", c => Task.FromResult(Logs(c).GetLog(Hostile))),
        C<InvalidPartitionNameException>("log name: non-ASCII", c => Task.FromResult(Logs(c).GetLog("zürich"))),
        C<InvalidPartitionNameException>("partition name: empty", c => c.Log.AppendToPartitionAsync("", Bytes("x"))),
        C<InvalidPartitionNameException>("partition name: '..'", c => c.Log.ReadAsync("..", 0)),
        C<InvalidPartitionNameException>("partition name: backslash", c => c.Log.ReadAsync("a\\b", 0)),
        C<InvalidPartitionNameException>("partition name: 10,000 characters with control characters", c => c.Log.AppendToPartitionAsync(new string('\n', 10_000), Bytes("x"))),
        C<InvalidPartitionNameException>("partition name: space", c => c.Log.GetInfoAsync("a b")),
        C<InvalidPartitionNameException>("partition key: no separator", c => Task.FromResult(PartitionKey.Parse("nokey"))),
        C<InvalidPartitionNameException>("partition key: three parts", c => Task.FromResult(PartitionKey.Parse("a/b/c"))),
        C<InvalidPartitionNameException>("partition key: 10,000 characters", c => Task.FromResult(PartitionKey.Parse(new string('k', 10_000)))),

        // Silo grain.
        C<InvalidPartitionNameException>("list partitions: invalid log name", c => c.Client.GetGrain<IAppendLogSiloGrain>("Silo_0").ListPartitionsAsync(Hostile)),
    ];

    public static TheoryData<string> CaseNames() => [.. Cases.Select(c => c.Name)];

    private static IAppendLogClient Logs(Context c) => c.Client.ServiceProvider.GetRequiredService<IAppendLogClient>();

    [Fact]
    public void The_table_has_a_case_per_name()
    {
        Cases.Select(c => c.Name).Should().OnlyHaveUniqueItems();
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Bad_input_is_refused_with_its_typed_error_and_changes_nothing(string name)
    {
        var @case = Cases.Single(c => c.Name == name);
        var log = fixture.Logs.GetLog($"bad-{Guid.NewGuid():N}");
        for (var i = 0; i < 3; i++)
        {
            (await log.AppendToPartitionAsync("0", Bytes($"r{i}"))).FirstId.Should().Be(i);
        }

        var context = new Context(log, log.Partition("0"), fixture.Client);
        var before = DiskSnapshot.Of(fixture.Data.Path);

        Exception? thrown = null;
        try
        {
            await @case.Act(context);
        }
        catch (Exception e)
        {
            thrown = e;
        }

        thrown.Should().NotBeNull($"'{name}' must be refused");
        thrown.Should().BeOfType(@case.Error, $"'{name}' is refused with its typed error (got {thrown!.GetType().Name}: {thrown.Message})");
        if (@case.Error.IsAssignableTo(typeof(AppendLogException)))
        {
            ((AppendLogException)thrown).IsRetryable.Should().BeFalse("bad input does not get better by retrying");
        }

        Encoding.UTF8.GetByteCount(thrown.Message).Should().BeLessThan(1024, "the message stays short: {0}", thrown.Message[..Math.Min(200, thrown.Message.Length)]);
        thrown.Message.Should().NotContainAny(["\n", "\r", "\u001b", "\0"], "control characters from the input are escaped");
        DiskSnapshot.Of(fixture.Data.Path).Should().Equal(before, "bad input changes nothing on disk");

        // The partition still serves: nothing was appended by the bad call, and the next append takes the next id.
        var info = await log.GetInfoAsync("0");
        info.LastId.Should().Be(2);
        (await log.AppendToPartitionAsync("0", Bytes("after"))).FirstId.Should().Be(3);
        (await log.ReadAsync("0", 0)).Records.Select(r => Encoding.UTF8.GetString(r.Payload.Span)).Should().Equal("r0", "r1", "r2", "after");
    }
}
