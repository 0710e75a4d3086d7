using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.Storage;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>One silo and its client with Orleans' activity propagation, as docs/observability.md tells users to configure them.</summary>
public sealed class TracingCluster() : AofClusterFixture(1)
{
    protected override void ConfigureSilo(ISiloBuilder silo) => silo.AddActivityPropagation();

    protected override void ConfigureClient(IClientBuilder client) => client.AddActivityPropagation();
}

[CollectionDefinition(Name)]
public sealed class TracingClusterGroup : ICollectionFixture<TracingCluster>
{
    public const string Name = "tracing cluster";
}

/// <summary>
/// The spans of docs/observability.md, seen by an in-memory exporter (an <see cref="ActivityListener"/> that keeps every
/// stopped span): the append tree client → Orleans call → grain → engine, with the documented attributes, and the flush,
/// seal, recovery and read spans.
/// </summary>
[Collection(TracingClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class TracingTests(TracingCluster fixture) : IDisposable
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ActivityListener _listener = new();

    private void Listen()
    {
        _listener.ShouldListenTo = static s => s.Name == AppendLogTelemetry.ActivitySourceName || s.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal);
        _listener.Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded;
        _listener.ActivityStopped = _spans.Enqueue;
        ActivitySource.AddActivityListener(_listener);
    }

    [Fact]
    public async Task Append_FromTheClient_IsOneTraceClientGrainEngine()
    {
        Listen();
        var logName = "traced-" + Guid.NewGuid().ToString("N")[..8];
        var log = fixture.Logs.GetLog(logName);
        await log.AppendToPartitionAsync("0", Encoding.UTF8.GetBytes("warm-up"));
        var ack = await log.AppendToPartitionAsync("0", Encoding.UTF8.GetBytes("traced record"));
        ack.Should().Be(new AppendAck(1, 1, true, false));

        Activity Span(string name) => OfLog(logName).Where(a => a.OperationName == name && Equals(a.GetTagItem(AofTags.FirstId), 1L)).Should().ContainSingle($"one {name} span carries id 1").Subject;
        await Wait.UntilAsync(() => OfLog(logName).Count(a => a.OperationName == StorageTelemetry.AppendSpan) == 2, "both engine append spans stopped");
        var client = Span(AppendLogTelemetry.ClientAppendSpan);
        var grain = Span(AppendLogTelemetry.GrainAppendSpan);
        var engine = Span(StorageTelemetry.AppendSpan);

        // One trace: the engine span is the grain span's child, and the grain span descends from the client's span through
        // the Orleans call spans (the activity propagation carries the context across the grain call).
        engine.ParentSpanId.Should().Be(grain.SpanId);
        grain.TraceId.Should().Be(client.TraceId);
        engine.TraceId.Should().Be(client.TraceId);
        var path = Ancestry(grain, client.TraceId);
        path.Should().EndWith(client.SpanId, "the client's append span is the root of the grain's span");
        path.Count.Should().BeGreaterThan(1, "Orleans' call spans sit between the client and the grain");
        client.Parent.Should().BeNull("the client span is the root of this trace");
        client.Kind.Should().Be(ActivityKind.Client);

        // The documented attributes.
        foreach (var span in new[] { client, grain, engine })
        {
            span.GetTagItem(AofTags.Log).Should().Be(logName);
            span.GetTagItem(AofTags.Partition).Should().Be("0");
            span.GetTagItem(AofTags.LastId).Should().Be(1L);
            span.GetTagItem(AofTags.Durable).Should().Be(true);
            span.GetTagItem(AofTags.Records).Should().Be(1);
        }

        client.GetTagItem(AofTags.Bytes).Should().Be(13);
        grain.GetTagItem(AofTags.Bytes).Should().Be(13L);
        grain.GetTagItem(AofTags.Epoch).Should().Be((await log.GetInfoAsync("0")).WriterEpoch);
        engine.Events.Select(e => e.Name).Should().Equal("durable");

        // The group commit that made it durable: a flush span of its own trace, with what it flushed.
        var flushes = OfLog(logName).Where(a => a.OperationName == StorageTelemetry.FlushSpan).ToList();
        flushes.Should().OnlyContain(a => a.Parent == null && a.ParentSpanId == default, "each flush is a trace of its own");
        flushes.Where(a => a.GetTagItem(AofTags.Records) is long n && n >= 1 && (string?)a.GetTagItem(AofTags.Trigger) == "sync")
            .Should().NotBeEmpty("a sync flush made the records durable");

        // The tail stream learns of the new durable id: a delivery span of its own trace, with the id and the epoch.
        await Wait.UntilAsync(
            () => OfLog(logName).Any(a => a.OperationName == AppendLogTelemetry.TailDeliverySpan && Equals(a.GetTagItem(AofTags.LastId), 1L)),
            "the tail notification of id 1 is delivered");
        var delivery = OfLog(logName).First(a => a.OperationName == AppendLogTelemetry.TailDeliverySpan && Equals(a.GetTagItem(AofTags.LastId), 1L));
        (delivery.GetTagItem(AofTags.Epoch), delivery.ParentSpanId, delivery.Kind).Should().Be((grain.GetTagItem(AofTags.Epoch), default(ActivitySpanId), ActivityKind.Producer));
        delivery.GetTagItem("aof.path").Should().BeOneOf("stream", "direct");

        // The first call activated the partition: its recovery span, tagged with the epoch it opened at.
        var recovery = OfLog(logName).Should().ContainSingle(a => a.OperationName == StorageTelemetry.RecoverySpan).Subject;
        recovery.GetTagItem(AofTags.Epoch).Should().Be(grain.GetTagItem(AofTags.Epoch));
        recovery.GetTagItem(AofTags.LastId).Should().Be(-1L);
    }

    [Fact]
    public async Task SealAndRead_AreSpansWithTheirIds()
    {
        Listen();
        var logName = "traced-" + Guid.NewGuid().ToString("N")[..8];
        var log = fixture.Logs.GetLog(logName);
        await log.AppendBatchAsync("0", RecordPayloads.From(Encoding.UTF8.GetBytes("a"), Encoding.UTF8.GetBytes("b"), Encoding.UTF8.GetBytes("c")));
        (await fixture.Partition(logName).SealAsync()).Should().NotBeNull();
        var batch = await log.ReadAsync("0", 1, maxRecords: 10);
        batch.Count.Should().Be(2);

        await Wait.UntilAsync(() => OfLog(logName).Any(a => a.OperationName == AppendLogTelemetry.ClientReadSpan), "the client read span stopped");
        var seal = OfLog(logName).Should().ContainSingle(a => a.OperationName == StorageTelemetry.SealSpan).Subject;
        (seal.GetTagItem(AofTags.FirstId), seal.GetTagItem(AofTags.LastId)).Should().Be((0L, 2L));
        var clientRead = OfLog(logName).Should().ContainSingle(a => a.OperationName == AppendLogTelemetry.ClientReadSpan).Subject;
        var grainRead = OfLog(logName).Should().ContainSingle(a => a.OperationName == AppendLogTelemetry.GrainReadSpan).Subject;
        grainRead.TraceId.Should().Be(clientRead.TraceId);
        (grainRead.GetTagItem(AofTags.FirstId), grainRead.GetTagItem(AofTags.Records)).Should().Be((1L, 2));
        clientRead.GetTagItem(AofTags.Records).Should().Be(2);
    }

    public void Dispose() => _listener.Dispose();

    private List<Activity> OfLog(string log) => [.. _spans.Where(a => Equals(a.GetTagItem(AofTags.Log), log))];

    /// <summary>Span ids from <paramref name="span"/>'s parent up to the root, through every recorded span of the trace.</summary>
    private List<ActivitySpanId> Ancestry(Activity span, ActivityTraceId trace)
    {
        var byId = _spans.Where(a => a.TraceId == trace).GroupBy(a => a.SpanId).ToDictionary(g => g.Key, g => g.First());
        var path = new List<ActivitySpanId>();
        var parent = span.ParentSpanId;
        while (parent != default && path.Count < 16)
        {
            path.Add(parent);
            if (!byId.TryGetValue(parent, out var next))
            {
                break;
            }

            parent = next.ParentSpanId;
        }

        return path;
    }
}
