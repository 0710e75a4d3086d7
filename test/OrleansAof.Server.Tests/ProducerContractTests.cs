using System.Text;
using FluentAssertions;
using OrleansAof.Client;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>
/// What a producer can rely on: a lost answer is a typed error that says the append may have happened and the batching
/// producer retries it with the same stamp; a producer restarted with its old id continues; one oversized record fails
/// alone; a reused stamp answers with the original ids.
/// </summary>
[Collection(ThreeSiloClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class ProducerContractTests(ThreeSiloCluster fixture)
{
    /// <summary>The cluster's AppendLogOptions.MaxRecordBytes (AofClusterFixture).</summary>
    private const int SiloMaxRecordBytes = 256 * 1024;

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static string Text(LogRecord r) => Encoding.UTF8.GetString(r.Payload.Span);

    [Fact]
    public async Task An_append_whose_answer_is_lost_fails_with_AppendOutcomeUnknownException_and_a_retry_with_its_stamp_returns_the_original_ids()
    {
        var log = fixture.Logs.GetLog($"lost-{Guid.NewGuid():N}");
        await log.AppendToPartitionAsync("0", Bytes("before"));
        fixture.LostAnswers.LoseNextAppendAnswers(PartitionKey.Format(log.Name, "0"), 1);

        var stamp = new ProducerStamp(77, 3);
        var lost = await FluentActions.Awaiting(() => log.AppendToPartitionAsync("0", Bytes("lost"), stamp: stamp))
            .Should().ThrowAsync<AppendOutcomeUnknownException>();
        lost.Which.Should().BeAssignableTo<PartitionUnavailableException>("handlers of the older, wider type keep working");
        lost.Which.IsRetryable.Should().BeTrue();
        lost.Which.Partition.Should().Be(PartitionKey.Format(log.Name, "0"));
        lost.Which.InnerException.Should().BeOfType<TimeoutException>();
        lost.Which.Message.Should().Contain("may or may not have been written");

        (await log.AppendToPartitionAsync("0", Bytes("lost"), stamp: stamp)).Should().Be(new AppendAck(1, 1, true, true), "the lost append was written; its retry is a duplicate");
        (await log.ReadAsync("0", 0)).Records.Select(Text).Should().Equal("before", "lost");
    }

    [Fact]
    public void Transport_failures_become_typed_errors_that_say_whether_an_append_may_have_happened()
    {
        var translated = OrleansAof.Client.ClientErrors.Translate(new TimeoutException("Response did not arrive on time"), "orders/0", isAppend: false);
        translated.Should().BeOfType<PartitionUnavailableException>().Which.IsRetryable.Should().BeTrue();
        OrleansAof.Client.ClientErrors.Translate(new TimeoutException("x"), "orders/0", isAppend: true).Should().BeOfType<AppendOutcomeUnknownException>();
        OrleansAof.Client.ClientErrors.Translate(new SiloUnavailableException("gone"), "orders/0", isAppend: true).Should().BeOfType<AppendOutcomeUnknownException>();
        OrleansAof.Client.ClientErrors.Translate(new SiloUnavailableException("Silo 'S127.0.0.1:38571:155296746' is shutting down."), "orders/0", isAppend: true).Should()
            .BeOfType<PartitionUnavailableException>("the placement of a stopping silo refused to address it: it never reached the partition")
            .Which.Message.Should().Contain("nothing was done");
        OrleansAof.Client.ClientErrors.Translate(new SiloUnavailableException("The local Orleans host is shutting down and can no longer process the request: x."), "orders/0", isAppend: true).Should()
            .BeOfType<AppendOutcomeUnknownException>("a host that stops while the call is out can no longer receive its answer");
        OrleansAof.Client.ClientErrors.Translate(new Orleans.Runtime.Messaging.ConnectionFailedException("refused"), "orders/0", isAppend: true).Should().BeOfType<PartitionUnavailableException>("a call that never left did not append");
    }

    [Fact]
    public async Task The_producer_retries_a_batch_whose_answer_was_lost_with_the_same_stamp_and_writes_it_once()
    {
        var log = fixture.Logs.GetLog($"lost-producer-{Guid.NewGuid():N}");
        fixture.LostAnswers.LoseNextAppendAnswers(PartitionKey.Format(log.Name, "0"), 2);
        await using (var producer = log.CreateProducer(new LogProducerOptions { Linger = TimeSpan.Zero, RetryBackoff = TimeSpan.FromMilliseconds(1) }))
        {
            (await producer.SendToPartitionAsync("0", Bytes("a"))).Id.Should().Be(0);
            (await producer.SendToPartitionAsync("0", Bytes("b"))).Id.Should().Be(1);
        }

        fixture.LostAnswers.Remaining.Should().Be(0, "both answers were lost and retried");
        (await log.ReadAsync("0", 0)).Records.Select(Text).Should().Equal(["a", "b"], "each record is written exactly once");
    }

    [Fact]
    public async Task A_producer_restarted_with_the_same_ProducerId_continues_after_its_earlier_instance()
    {
        var log = fixture.Logs.GetLog($"restart-{Guid.NewGuid():N}");
        var options = new LogProducerOptions { ProducerId = 4242, Linger = TimeSpan.Zero };
        await using (var first = log.CreateProducer(options))
        {
            for (var i = 0; i < 3; i++)
            {
                (await first.SendToPartitionAsync("0", Bytes($"first-{i}"))).Id.Should().Be(i);
            }
        }

        await using (var second = log.CreateProducer(options))
        {
            (await second.SendToPartitionAsync("0", Bytes("second-0"))).Id.Should().Be(3, "a new record, not a duplicate of the earlier instance's first batch");
            (await second.SendToPartitionAsync("0", Bytes("second-1"))).Id.Should().Be(4);
        }

        (await log.ReadAsync("0", 0)).Records.Select(Text).Should().Equal("first-0", "first-1", "first-2", "second-0", "second-1");
    }

    [Fact]
    public async Task A_reused_stamp_with_a_different_payload_returns_the_original_ids_and_writes_nothing()
    {
        var grain = fixture.Partition($"reuse-{Guid.NewGuid():N}");
        (await grain.AppendAsync(Bytes("original"), stamp: new ProducerStamp(9, 5))).Should().Be(new AppendAck(0, 0, true, false));
        (await grain.AppendAsync(Bytes("different"), stamp: new ProducerStamp(9, 5))).Should().Be(new AppendAck(0, 0, true, true));
        (await grain.ReadAsync(0)).Records.Select(Text).Should().Equal("original");
    }

    [Fact]
    public async Task An_oversized_record_fails_at_SendAsync_and_its_batch_mates_are_written()
    {
        var log = fixture.Logs.GetLog($"oversize-{Guid.NewGuid():N}");
        await using var producer = log.CreateProducer(new LogProducerOptions { Linger = TimeSpan.FromMilliseconds(50), MaxRecordBytes = SiloMaxRecordBytes });
        var good = Enumerable.Range(0, 3).Select(i => producer.SendToPartitionAsync("0", Bytes($"good-{i}"))).ToList();
        var bad = producer.SendToPartitionAsync("0", new byte[SiloMaxRecordBytes + 1]);
        bad.IsFaulted.Should().BeTrue("the record is refused when it is sent, before it joins a batch");
        (await FluentActions.Awaiting(() => bad).Should().ThrowAsync<RecordTooLargeException>()).Which.Size.Should().Be(SiloMaxRecordBytes + 1);
        (await Task.WhenAll(good)).Select(r => r.Id).Should().Equal(0L, 1L, 2L);
    }

    [Fact]
    public async Task A_record_the_silo_refuses_as_too_large_fails_alone_when_the_producer_limit_is_higher()
    {
        var log = fixture.Logs.GetLog($"oversize-silo-{Guid.NewGuid():N}");
        await using var producer = log.CreateProducer(new LogProducerOptions { Linger = TimeSpan.FromMilliseconds(200) });
        var sends = new[]
        {
            producer.SendToPartitionAsync("0", Bytes("good-0")),
            producer.SendToPartitionAsync("0", Bytes("good-1")),
            producer.SendToPartitionAsync("0", new byte[SiloMaxRecordBytes + 1]),
            producer.SendToPartitionAsync("0", Bytes("good-2")),
        };
        await FluentActions.Awaiting(() => sends[2]).Should().ThrowAsync<RecordTooLargeException>();
        (await sends[0]).Id.Should().Be(0);
        (await sends[1]).Id.Should().Be(1);
        (await sends[3]).Id.Should().Be(2);
        (await log.ReadAsync("0", 0)).Records.Select(Text).Should().Equal("good-0", "good-1", "good-2");
    }

    [Fact]
    public void Producer_ids_that_are_not_positive_are_refused()
    {
        var log = fixture.Logs.GetLog("producer-options");
        foreach (var id in new long[] { 0, -1, long.MinValue })
        {
            FluentActions.Invoking(() => log.CreateProducer(new LogProducerOptions { ProducerId = id }))
                .Should().Throw<InvalidLogOptionsException>().Which.OptionName.Should().Be("LogProducerOptions.ProducerId");
        }
    }
}
