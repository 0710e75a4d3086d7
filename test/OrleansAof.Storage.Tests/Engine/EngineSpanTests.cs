using System.Collections.Concurrent;
using System.Diagnostics;
using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

/// <summary>
/// The engine's append span: a child of the caller's span, ended when the append completes (synchronously or after its
/// group commit), and never left current in the caller afterwards.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class EngineSpanTests : LogTestBase, IDisposable
{
    private static readonly ActivitySource Caller = new("OrleansAof.Tests.Caller");
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ActivityListener _listener = new();

    public EngineSpanTests()
    {
        _listener.ShouldListenTo = static s => s.Name is StorageTelemetry.ActivitySourceName or "OrleansAof.Tests.Caller";
        _listener.Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded;
        _listener.ActivityStopped = _spans.Enqueue;
        ActivitySource.AddActivityListener(_listener);
    }

    [Theory]
    [InlineData("Sync", true)]
    [InlineData("Async", false)]
    public async Task Append_IsAChildSpanThatEndsWithTheAppend_AndTheCallersSpanStaysCurrent(string policy, bool durable)
    {
        var logName = "spans-" + Guid.NewGuid().ToString("N")[..8];
        // Flushes on the flush loop (as under a grain): a Sync append completes only after its group commit, asynchronously.
        await using var log = await OpenAsync(
            Options(o =>
            {
                o.FlushPolicy = FlushPolicy.Parse(policy);
                o.FlushOnCallerThread = false;
            }),
            log: logName);
        using var caller = Caller.StartActivity("caller")!;

        var result = await log.AppendAsync(new byte[] { 1, 2, 3 });
        Activity.Current.Should().BeSameAs(caller, "the engine's span does not stay current in the caller");
        var batch = await log.AppendBatchAsync([new byte[] { 4 }, new byte[] { 5 }]);
        Activity.Current.Should().BeSameAs(caller);

        var appends = _spans.Where(s => s.OperationName == StorageTelemetry.AppendSpan && Equals(s.GetTagItem(AofTags.Log), logName)).ToList();
        appends.Should().HaveCount(2);
        appends.Should().OnlyContain(s => s.ParentSpanId == caller.SpanId && s.Duration > TimeSpan.Zero);
        (appends[0].GetTagItem(AofTags.FirstId), appends[0].GetTagItem(AofTags.LastId), appends[0].GetTagItem(AofTags.Records)).Should().Be((0L, 0L, 1));
        (appends[1].GetTagItem(AofTags.FirstId), appends[1].GetTagItem(AofTags.LastId), appends[1].GetTagItem(AofTags.Records)).Should().Be((1L, 2L, 2));
        appends.Should().OnlyContain(s => Equals(s.GetTagItem(AofTags.Durable), durable));
        (result.IsDurable, batch.IsDurable).Should().Be((durable, durable));
    }

    [Fact]
    public async Task Append_RefusedSynchronously_EndsItsSpanWithAnError()
    {
        var logName = "spans-" + Guid.NewGuid().ToString("N")[..8];
        await using var log = await OpenAsync(Options(o => o.MaxRecordBytes = 16), log: logName);
        using var caller = Caller.StartActivity("caller")!;

        await FluentActions.Awaiting(async () => await log.AppendAsync(new byte[17])).Should().ThrowAsync<RecordTooLargeException>();
        Activity.Current.Should().BeSameAs(caller);
        var span = _spans.Should().ContainSingle(s => s.OperationName == StorageTelemetry.AppendSpan && Equals(s.GetTagItem(AofTags.Log), logName)).Subject;
        span.Status.Should().Be(ActivityStatusCode.Error);
    }

    void IDisposable.Dispose()
    {
        _listener.Dispose();
        Dispose();
    }
}
